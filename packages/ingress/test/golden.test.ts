import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { ingressConfig, type IngressControllerConfig } from '../src';
import { readManifests } from './support/manifests';
import { simulate } from './support/simulate';

// Golden translation scenarios: test/golden/<case>/input.yaml (and an optional config.json with
// controller settings) -> expected.json: the objects the controller creates, the load balancers,
// skipped Ingresses, problems, and the xDS the agent serves for them (resource names per type and
// issues). UPDATE_GOLDEN=1 rewrites expected.json (then run prettier on it); review the diff before committing.
const goldenDir = path.join(__dirname, 'golden');
const cases = readdirSync(goldenDir).filter((name) => existsSync(path.join(goldenDir, name, 'input.yaml')));

function caseConfig(name: string): Partial<IngressControllerConfig> {
  const file = path.join(goldenDir, name, 'config.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<IngressControllerConfig>) : {};
}

describe('golden translation scenarios', () => {
  test('there are golden cases', () => expect(cases.length).toBeGreaterThan(0));

  test.each(cases)('%s', (name) => {
    const config = caseConfig(name);
    const sim = simulate(readManifests(path.join(goldenDir, name, 'input.yaml')), ingressConfig(config));
    const { translation, xds } = sim;
    const actual = {
      envoyConfigs: translation.envoyConfigs,
      services: translation.services,
      endpoints: translation.endpoints,
      secrets: translation.secrets,
      loadBalancers: translation.loadBalancers,
      skipped: translation.skipped,
      problems: translation.problems,
      classIssues: translation.classIssues,
      xds: {
        resources: Object.fromEntries(
          xds.snapshot.typeUrls().map((typeUrl) => [typeUrl, [...xds.snapshot.resources(typeUrl).keys()]]),
        ),
        redirects: xds.redirects,
        issues: xds.issues,
      },
    };
    const expectedFile = path.join(goldenDir, name, 'expected.json');
    if (process.env['UPDATE_GOLDEN'] === '1')
      writeFileSync(expectedFile, `${JSON.stringify(actual, null, 2)}\n`);
    expect(JSON.parse(JSON.stringify(actual))).toEqual(JSON.parse(readFileSync(expectedFile, 'utf8')));
  });
});
