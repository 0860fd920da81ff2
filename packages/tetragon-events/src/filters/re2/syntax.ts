import type { CharSet } from './charset';

/** Zero-width assertions, with RE2's meanings (`\b` is ASCII; line ends are `\n` only). */
export type AssertionKind =
  'beginText' | 'endText' | 'beginLine' | 'endLine' | 'wordBoundary' | 'notWordBoundary';

/** A parsed RE2 expression, with its flags already applied (case folding, `.`, line anchors, greediness). */
export type Node =
  | { readonly type: 'empty' }
  | { readonly type: 'set'; readonly set: CharSet }
  | { readonly type: 'assert'; readonly kind: AssertionKind }
  | { readonly type: 'concat'; readonly items: readonly Node[] }
  | { readonly type: 'alternate'; readonly branches: readonly Node[] }
  | { readonly type: 'capture'; readonly index: number; readonly sub: Node }
  | {
      readonly type: 'repeat';
      readonly sub: Node;
      readonly min: number;
      /** -1 for no upper bound. */
      readonly max: number;
      readonly greedy: boolean;
      /** Written with braces (`{n,m}`), which RE2 counts toward its repeat-size limit; `*+?` are not. */
      readonly counted: boolean;
    };

/** A pattern RE2 refuses, with RE2's reason. */
export class Re2SyntaxError extends Error {
  override readonly name = 'Re2SyntaxError';
}
