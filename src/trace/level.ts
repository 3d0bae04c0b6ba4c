/**
 * ETW levels: lower is more severe. A listener at level L receives events of
 * level L and below; a listener at level 0 receives every level, and an event
 * of level 0 (`LogAlways`) reaches every listener.
 */
export const TraceLevel = {
  LogAlways: 0,
  Critical: 1,
  Error: 2,
  Warning: 3,
  Information: 4,
  Verbose: 5,
} as const;
export type TraceLevelName = keyof typeof TraceLevel;

/** 64-bit keyword masks, as ETW defines them. */
export const ALL_KEYWORDS = 0xffff_ffff_ffff_ffffn;

export interface EnableFilter {
  /** The most verbose level wanted; 0 means every level. Default 5 (verbose). */
  readonly level: number;
  /** An event with keywords must share at least one bit with this; 0 means any. */
  readonly matchAnyKeyword: bigint;
  /** An event with keywords must have every bit of this. Default 0. */
  readonly matchAllKeyword: bigint;
}

/**
 * ETW's test (evntprov.h, McGenLevelKeywordEnabled): the level passes when it
 * is at most the listener's level or the listener's level is 0; an event with
 * no keywords passes any keyword filter; otherwise it needs one bit of
 * matchAnyKeyword and every bit of matchAllKeyword. A matchAnyKeyword of 0 is
 * taken as "all keywords", as ETW sessions do.
 */
export function passes(filter: EnableFilter, level: number, keywords: bigint): boolean {
  if (level > filter.level && filter.level !== 0) return false;
  if (keywords === 0n) return true;
  const any = filter.matchAnyKeyword === 0n ? ALL_KEYWORDS : filter.matchAnyKeyword;
  return (keywords & any) !== 0n && (keywords & filter.matchAllKeyword) === filter.matchAllKeyword;
}
