/**
 * Buckets a screen width (CSS px) into a size class. 576 and 992 are
 * Bootstrap's sm/lg breakpoints; 1440 separates laptops from desktop monitors.
 */
export function screenSize(width: number | undefined): '' | 'mobile' | 'tablet' | 'laptop' | 'desktop' {
  // 0, negatives and NaN mean the tracker could not tell.
  if (width === undefined || !Number.isFinite(width) || width <= 0) return '';
  if (width < 576) return 'mobile';
  if (width < 992) return 'tablet';
  if (width < 1440) return 'laptop';
  return 'desktop';
}
