// Shared jest settings. Tests run from TypeScript sources through swc (no type
// check here; `typecheck` does that), and workspace packages resolve to their
// sources so tests never need a build of their dependencies.
const path = require('node:path');

const root = __dirname;

/** ESM-only packages that must be transformed to CommonJS for jest on Node 20. */
const esmPackages = ['@kubernetes\\+client-node', 'openid-client', 'oauth4webapi', 'jose'];

module.exports = function preset(projectDir) {
  return {
    displayName: path.relative(root, projectDir),
    rootDir: projectDir,
    testEnvironment: 'node',
    testMatch: ['<rootDir>/src/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
    transform: {
      '^.+\\.(ts|js|mjs)$': [
        '@swc/jest',
        {
          jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
          module: { type: 'commonjs' },
        },
      ],
    },
    transformIgnorePatterns: [`/node_modules/\\.pnpm/(?!(${esmPackages.join('|')})@)`],
    moduleNameMapper: {
      '^@ciliary/([a-z0-9-]+)/([a-z0-9-]+)$': [
        `${root}/packages/$1/src/$2/index.ts`,
        `${root}/apps/$1/src/$2/index.ts`,
      ],
      '^@ciliary/([a-z0-9-]+)$': [`${root}/packages/$1/src/index.ts`, `${root}/apps/$1/src/index.ts`],
    },
  };
};
