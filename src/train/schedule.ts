/** Learning-rate schedules as functions of the 0-based optimizer step, as HF's `get_*_schedule_with_warmup`. */
export type ScheduleName = "constant" | "warmup-constant" | "warmup-linear" | "warmup-cosine";

export interface ScheduleOptions {
  name: ScheduleName;
  learningRate: number;
  warmupSteps: number;
  totalSteps: number;
}

/** The learning rate to use for step `step` (0-based). */
export function learningRateAt(options: ScheduleOptions, step: number): number {
  const { name, learningRate, warmupSteps, totalSteps } = options;
  if (name === "constant") return learningRate;
  // torch's LambdaLR multiplies the base rate by HF's multiplier, each computed as HF writes it,
  // so every rate equals torch's to the last bit (test/train-torch-step.test.ts).
  if (step < warmupSteps) return learningRate * (step / Math.max(1, warmupSteps));
  if (name === "warmup-constant") return learningRate;
  if (name === "warmup-linear")
    return learningRate * Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
  const progress = (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
  return learningRate * Math.max(0, 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress))));
}

/** Warm-up steps for a share of all steps, rounded up as HF's `TrainingArguments.get_warmup_steps`. */
export function warmupStepsFor(totalSteps: number, ratio: number): number {
  return Math.ceil(totalSteps * ratio);
}
