/** One confirmation question at a time, answered in a dialog (ConfirmHost renders it). */
export interface Question { title: string; message: string; confirmLabel: string; danger: boolean }

class Confirmer {
  current = $state<Question | null>(null);
  private resolve: ((ok: boolean) => void) | null = null;

  ask(title: string, message: string, opts: { confirmLabel?: string; danger?: boolean } = {}): Promise<boolean> {
    this.resolve?.(false);
    this.current = { title, message, confirmLabel: opts.confirmLabel ?? 'Confirm', danger: opts.danger ?? true };
    return new Promise((r) => { this.resolve = r; });
  }

  answer(ok: boolean): void {
    this.resolve?.(ok);
    this.resolve = null;
    this.current = null;
  }
}

export const confirmer = new Confirmer();
export const ask = confirmer.ask.bind(confirmer);
