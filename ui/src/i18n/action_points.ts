// The words of the action_points screen(s); see common.ts for how the dictionaries work.

export const nl = {};

export const en: typeof nl = {};
