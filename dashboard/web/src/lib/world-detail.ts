import type { FeatureCollection, Geometry } from 'geojson';
import atlasUrl from 'world-atlas/countries-50m.json?url';

/**
 * Country outlines at 1:50m (Natural Earth through world-atlas), bundled with the app as a hashed file of its own
 * and fetched from Vigil's origin on first use (750 KB: too big for a script chunk, cached for good once read).
 * Detailed enough for a city-sized view of a device's positions, with no tile server and nothing from elsewhere.
 */
let pending: Promise<FeatureCollection<Geometry, { name: string }>> | null = null;

export function loadCountries(): Promise<FeatureCollection<Geometry, { name: string }>> {
  pending ??= (async () => {
    const [{ feature }, res] = await Promise.all([import('topojson-client'), fetch(atlasUrl)]);
    if (!res.ok) throw new Error(`the map data did not load (HTTP ${res.status})`);
    const topo = await res.json() as Parameters<typeof feature>[0] & { objects: { countries: Parameters<typeof feature>[1] } };
    return feature(topo, topo.objects.countries) as unknown as FeatureCollection<Geometry, { name: string }>;
  })();
  pending.catch(() => { pending = null; });
  return pending;
}
