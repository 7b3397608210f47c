// Private, seedable faker instances (one core, one per name locale) so the generator never touches
// faker's shared singletons and two generators can run side by side without disturbing each other.
import { Faker, base, de, en, en_US, es, es_MX, fr } from '@faker-js/faker'

/** Reference "now" for every faker call that would otherwise read the clock. */
export const REF_DATE = '2026-01-01T00:00:00.000Z'

export type LocaleKey = 'en_US' | 'es_MX' | 'es' | 'de' | 'fr'

export interface Fakers {
  /** Numbers, ids and choices. */
  core: Faker
  /** Names, addresses and phone numbers in each locale (accents included). */
  byLocale: Record<LocaleKey, Faker>
}

function make(locale: ConstructorParameters<typeof Faker>[0]['locale']): Faker {
  const faker = new Faker({ locale })
  faker.setDefaultRefDate(REF_DATE)
  return faker
}

export function createFakers(): Fakers {
  return {
    core: make([en_US, en, base]),
    byLocale: {
      en_US: make([en_US, en, base]),
      es_MX: make([es_MX, es, en, base]),
      es: make([es, en, base]),
      de: make([de, en, base]),
      fr: make([fr, en, base]),
    },
  }
}

/** Independent random streams: each entity is seeded from (seed, stream, index, ...). */
export const STREAM = { practitioner: 1, patient: 2 } as const

/** Seeds a faker for one entity, so its output depends only on the seed and the entity's index. */
export function reseed(faker: Faker, ...parts: number[]): Faker {
  faker.seed(parts)
  return faker
}
