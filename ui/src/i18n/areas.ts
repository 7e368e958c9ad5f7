// The words of the areas screen(s); see common.ts for how the dictionaries work.

export const nl = {};

export const en: typeof nl = {};
