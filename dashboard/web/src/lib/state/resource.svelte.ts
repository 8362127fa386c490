import { errorText } from '../api/client.ts';

/**
 * Data a component loads and reloads: the latest call wins (earlier ones are aborted), `loading` is true while it
 * runs, `error` holds the failure in words, `data` keeps the last good answer so a reload does not blank the page.
 */
export class Resource<T> {
  data = $state<T | null>(null);
  error = $state('');
  loading = $state(false);
  private ctrl: AbortController | null = null;

  load(fn: (signal: AbortSignal) => Promise<T>): void {
    this.ctrl?.abort();
    const ctrl = new AbortController();
    this.ctrl = ctrl;
    this.loading = true;
    this.error = '';
    fn(ctrl.signal).then(
      (d) => { if (this.ctrl === ctrl) { this.data = d; this.loading = false; } },
      (err) => {
        if (this.ctrl !== ctrl || (err as Error)?.name === 'AbortError') return;
        this.error = errorText(err);
        this.loading = false;
      },
    );
  }

  abort(): void {
    this.ctrl?.abort();
    this.ctrl = null;
  }
}
