// Runs every project's tests in one jest process; each project has a jest.config.js.
const fs = require('node:fs');
const path = require('node:path');

const projects = [];
for (const group of ['packages', 'apps', 'tools']) {
  const dir = path.join(__dirname, group);
  if (!fs.existsSync(dir)) continue;
  for (const name of fs.readdirSync(dir).sort()) {
    const config = path.join(dir, name, 'jest.config.js');
    if (fs.existsSync(config)) projects.push(config);
  }
}

module.exports = {
  projects,
  // A safety net, not a measurement (jest reads it globally, not per project): tests wait on
  // conditions with their own deadlines, and a loaded 2-core CI machine is slow to load modules.
  testTimeout: 30_000,
};
