import { byCodePoint } from '../util';
import { compareKeys, precedenceKey } from './envoy-routes';
import type { MeshRoute, RouteMatch } from './route-model';

/** One match of one rule of one route, placed among the others. */
export interface PlacedMatch {
  readonly route: MeshRoute;
  readonly ruleIndex: number;
  readonly matchIndex: number;
  readonly match: RouteMatch;
}

/** Precedence, then the older route, then the route's name, then rule and match order. */
export function compareMatches(a: PlacedMatch, b: PlacedMatch): number {
  return (
    compareKeys(precedenceKey(a.match), precedenceKey(b.match)) ||
    byCodePoint(a.route.creationTimestamp, b.route.creationTimestamp) ||
    byCodePoint(`${a.route.namespace}/${a.route.name}`, `${b.route.namespace}/${b.route.name}`) ||
    a.ruleIndex - b.ruleIndex ||
    a.matchIndex - b.matchIndex
  );
}
