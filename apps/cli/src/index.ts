export { runCli, buildProgram } from './program';
export { type CliIo, processIo } from './io';
export { renderTable, renderJson, renderKeyValues, type Column, type OutputFormat } from './output';
