/** `babelbed/recipes`: recipe files, their schema, runs and the wizard's composer. */
export { recipeSchema, type Recipe, type RecipeStep } from "./schema.js";
export { loadRecipe, parseRecipe } from "./load.js";
export { runRecipe, type RunOptions, type RunOutcome } from "./run.js";
export { composeRecipe, type WizardAnswers, type ComposedRecipe } from "./compose.js";
export { checkModelWidths, directoryWidth } from "./widths.js";
export { steps, stepDescriptor } from "./steps/registry.js";
export type { StepDescriptor } from "./steps/descriptor.js";
export { RecipeProgress, formatDuration } from "./progress.js";
