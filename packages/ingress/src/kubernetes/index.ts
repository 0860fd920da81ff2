// The controller's writer over the Kubernetes API (@kubernetes/client-node). A subpath of its
// own, so importers of the translation never load the Kubernetes client.
export {
  KubernetesClusterWriter,
  KubernetesWriteError,
  type KubernetesClusterWriterOptions,
} from './kubernetes-writer';
