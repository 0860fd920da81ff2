import { ValidationError, yamlNestingProblem, type Issue } from '@ciliary/core';
import { parseAllDocuments } from 'yaml';

/**
 * The one TracingPolicy document of a YAML (or JSON) text, as
 * AddTracingPolicy and `tetra tracingpolicy add` take it; throws
 * ValidationError naming the document, the line and the problem.
 */
export function parseTracingPolicyYaml(text: string, document: string): unknown {
  const issue = (message: string): Issue => ({ document, path: '', message });
  // AddTracingPolicy takes this text from the network: checked before the parser could exhaust memory.
  const nesting = yamlNestingProblem(text);
  if (nesting) throw new ValidationError([issue(nesting)]);
  const docs = parseAllDocuments(text);
  const problems: Issue[] = [];
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    for (const err of doc.errors) {
      const at = err.linePos?.[0];
      // the parser's message ends with the position too, in its own words
      const text = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      problems.push(issue(`${at ? `line ${at.line}, column ${at.col}: ` : ''}${text}`));
    }
  }
  if (problems.length > 0) throw new ValidationError(problems);
  const values = (Array.isArray(docs) ? docs : [docs])
    .map((d) => d.toJS() as unknown)
    .filter((v) => v !== null && v !== undefined);
  if (values.length === 0) throw new ValidationError([issue('holds no document')]);
  if (values.length > 1)
    throw new ValidationError([issue(`holds ${values.length} documents; a tracing policy is one document`)]);
  return values[0];
}
