// Original file: ../../proto/lrsweep/v1/spec.proto

export const SearchStrategy = {
  SEARCH_STRATEGY_UNSPECIFIED: 'SEARCH_STRATEGY_UNSPECIFIED',
  SEARCH_STRATEGY_ASHA: 'SEARCH_STRATEGY_ASHA',
  SEARCH_STRATEGY_SH: 'SEARCH_STRATEGY_SH',
  SEARCH_STRATEGY_GRID: 'SEARCH_STRATEGY_GRID',
  SEARCH_STRATEGY_AUTO: 'SEARCH_STRATEGY_AUTO',
} as const;

export type SearchStrategy =
  | 'SEARCH_STRATEGY_UNSPECIFIED'
  | 0
  | 'SEARCH_STRATEGY_ASHA'
  | 1
  | 'SEARCH_STRATEGY_SH'
  | 2
  | 'SEARCH_STRATEGY_GRID'
  | 3
  | 'SEARCH_STRATEGY_AUTO'
  | 4

export type SearchStrategy__Output = typeof SearchStrategy[keyof typeof SearchStrategy]
