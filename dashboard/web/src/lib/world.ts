import type { FeatureCollection, Geometry } from 'geojson';

/**
 * The world map's shapes, from the bundled Natural Earth 1:110m countries (world-atlas), loaded on first use as a
 * separate chunk. Countries are keyed by ISO 3166-1 alpha-2, as the events store them (numeric ids mapped through
 * i18n-iso-countries' code table); Antarctica is left out.
 */
export interface Shape { key: string; code: string; d: string }
export interface World { paths(width: number, height: number): Shape[] }

let pending: Promise<World> | null = null;

export function loadWorld(): Promise<World> {
  pending ??= (async () => {
    const [{ geoEqualEarth, geoPath }, { feature }, atlas, codes] = await Promise.all([
      import('d3-geo'),
      import('topojson-client'),
      import('world-atlas/countries-110m.json'),
      import('i18n-iso-countries/codes.json'),
    ]);
    const numericToAlpha2 = new Map((codes.default as string[][]).map((c) => [c[2]!, c[0]!]));
    const EXTRA: Record<string, string> = { Kosovo: 'XK', 'N. Cyprus': 'CY', Somaliland: 'SO' };
    const topo = atlas.default as unknown as Parameters<typeof feature>[0] & { objects: { countries: Parameters<typeof feature>[1] } };
    const fc = feature(topo, topo.objects.countries) as unknown as FeatureCollection<Geometry, { name: string }>;
    const features = fc.features.filter((f) => f.id !== '010');
    const world: FeatureCollection<Geometry, { name: string }> = { type: 'FeatureCollection', features };
    const cache = new Map<string, Shape[]>();
    return {
      paths(width, height) {
        const k = `${width}x${height}`;
        let out = cache.get(k);
        if (!out) {
          const projection = geoEqualEarth().fitSize([width, height], world);
          const path = geoPath(projection);
          out = features.map((f, i) => ({
            key: `${f.id ?? f.properties.name}-${i}`,
            code: numericToAlpha2.get(String(f.id)) ?? EXTRA[f.properties.name] ?? '',
            d: path(f) ?? '',
          }));
          cache.clear();
          cache.set(k, out);
        }
        return out;
      },
    };
  })();
  pending.catch(() => { pending = null; });
  return pending;
}
