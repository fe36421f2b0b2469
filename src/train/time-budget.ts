/**
 * Wall-clock seconds a loop may spend, steps and evaluations included, as PyTorch
 * Lightning's `max_time`: the loop ends early once they are spent. `spent` is carried in
 * checkpoints so that a resumed run counts the time its first part took.
 */
export class TimeBudget {
  constructor(
    readonly seconds: number,
    public spent = 0,
  ) {}

  get exhausted(): boolean {
    return this.spent >= this.seconds;
  }
}
