export { LocalManifestSource, type LocalSourceOptions } from './local-source';
export { KubernetesSource, type KubernetesSourceOptions } from './kubernetes-source';
export {
  listManifestFiles,
  parseManifestText,
  type ManifestObject,
  type ManifestProblem,
  type ParsedManifests,
} from './manifests';
