import { formatIssue } from '@ciliary/core';
import { getEventsRequestFromFlags, type TetragonCodec } from '@ciliary/tetragon-events';

/** The filter flags `ciliary events` and `ciliary sensor` share, as tetra getevents spells them. */
export interface EventFilterFlags {
  eventTypes?: string[];
  namespace?: string[];
  host?: boolean;
  pod?: string[];
  process?: string[];
  allowList?: string;
  denyList?: string;
  includeFields?: string[];
  excludeFields?: string[];
}

/** Turns the shared filter flags into a GetEventsRequest; bad filters are one error listing every problem. */
export function eventsRequest(codec: TetragonCodec, flags: EventFilterFlags) {
  const request = getEventsRequestFromFlags(codec, {
    ...(flags.eventTypes ? { eventTypes: flags.eventTypes } : {}),
    ...(flags.namespace ? { namespaces: flags.namespace } : {}),
    ...(flags.host ? { host: true } : {}),
    ...(flags.pod ? { pods: flags.pod } : {}),
    ...(flags.process ? { processes: flags.process } : {}),
    ...(flags.allowList !== undefined ? { allowList: flags.allowList } : {}),
    ...(flags.denyList !== undefined ? { denyList: flags.denyList } : {}),
    ...(flags.includeFields ? { includeFields: flags.includeFields } : {}),
    ...(flags.excludeFields ? { excludeFields: flags.excludeFields } : {}),
  });
  if (!request.ok) throw new Error(`invalid filters:\n${request.issues.map(formatIssue).join('\n')}`);
  return request.value;
}
