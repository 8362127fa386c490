import { ApiError, errorText } from '../api/client.ts';

/**
 * A form's submit state: busy while the call runs, then the server's error in words, placed next to the field it
 * names (`field` in the error body) or above the buttons when it names none of this form's fields.
 */
export class FormState {
  busy = $state(false);
  error = $state('');
  field = $state<string | undefined>(undefined);
  done = $state('');

  constructor(private readonly fields: readonly string[] = []) {}

  async run(fn: () => Promise<string | void>): Promise<boolean> {
    this.busy = true;
    this.error = '';
    this.field = undefined;
    this.done = '';
    try {
      this.done = (await fn()) ?? '';
      return true;
    } catch (err) {
      this.error = errorText(err);
      this.field = err instanceof ApiError && err.field && this.fields.includes(err.field) ? err.field : undefined;
      return false;
    } finally {
      this.busy = false;
    }
  }

  /** The error to show under `name`, if it is about that field. */
  errorFor(name: string): string {
    return this.field === name ? this.error : '';
  }

  /** The error to show for the form as a whole. */
  get general(): string {
    return this.field ? '' : this.error;
  }

  /** Marks a field wrong before any call (client-side checks). */
  fail(message: string, field?: string): void {
    this.error = message;
    this.field = field && this.fields.includes(field) ? field : undefined;
  }
}
