import { describe, expect, test } from '@jest/globals';
import { TetragonCodec } from '../codec';
import { EVENT_FIELDS, eventFieldOf, eventTypeOf, innerEvent } from './event';
import type { GetEventsResponse } from './types.generated';

describe('event type of an event', () => {
  test('EVENT_FIELDS lists the oneof members of GetEventsResponse in declaration order', () => {
    const members = new TetragonCodec().events.oneofs.get('event')?.map((f) => f.name);
    expect(EVENT_FIELDS.map(([field]) => field)).toEqual(members);
  });

  test.each(EVENT_FIELDS)('%s alone is %s', (field, type) => {
    const event = { [field]: {} } as GetEventsResponse;
    expect(eventFieldOf(event)).toBe(field);
    expect(eventTypeOf(event)).toBe(type);
    expect(innerEvent(event)).toBe(event[field]);
  });

  test('with two members set (built by code), the first in declaration order wins', () => {
    for (let i = 0; i < EVENT_FIELDS.length; i++) {
      for (let j = i + 1; j < EVENT_FIELDS.length; j++) {
        const event = { [EVENT_FIELDS[j]![0]]: {}, [EVENT_FIELDS[i]![0]]: {} } as GetEventsResponse;
        expect(eventFieldOf(event)).toBe(EVENT_FIELDS[i]![0]);
        expect(eventTypeOf(event)).toBe(EVENT_FIELDS[i]![1]);
      }
    }
  });

  test('no member set: UNDEF', () => {
    expect(eventFieldOf({ node_name: 'n' })).toBeUndefined();
    expect(eventTypeOf({ node_name: 'n' })).toBe('UNDEF');
  });
});
