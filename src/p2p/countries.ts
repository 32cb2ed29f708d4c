/**
 * @module Countries and regions a customer's identity can be verified in: the 249 officially
 * assigned ISO 3166-1 alpha-2 codes. Hong Kong, Macao and Taiwan are labelled "regions" (as P2P
 * venues list them); everything else is a "country". Names come from the runtime's CLDR data
 * (Intl.DisplayNames) so the list stays one line of codes, with the three regions named plainly.
 */

const CODES =
  'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ ' +
  'CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO ' +
  'FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE ' +
  'JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO ' +
  'MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW ' +
  'PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM ' +
  'TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW'

/** Places P2P venues list as regions rather than countries, with the short names they use. */
const REGIONS: Record<string, string> = { HK: 'Hong Kong', MO: 'Macao', TW: 'Taiwan' }

export type CountryCode = string
export type Country = { code: CountryCode; name: string; kind: 'country' | 'region' }

const names = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'code' })

/** Every country and region, sorted by name. */
export const countries: readonly Country[] = CODES.split(' ')
  .map((code) =>
    REGIONS[code]
      ? { code, name: REGIONS[code], kind: 'region' as const }
      : { code, name: names.of(code) ?? code, kind: 'country' as const },
  )
  .sort((a, b) => a.name.localeCompare(b.name, 'en'))

const byCode = new Map(countries.map((c) => [c.code, c]))

/** Whether `code` is an assigned ISO 3166-1 alpha-2 code (upper case). */
export function isCountryCode(code: string): code is CountryCode {
  return byCode.has(code)
}

/** The country or region for a code, e.g. `country('TW')` → `{ name: 'Taiwan', kind: 'region' }`. */
export function country(code: CountryCode): Country {
  const found = byCode.get(code)
  if (!found) throw new RangeError(`unknown country or region code: ${JSON.stringify(code)}`)
  return found
}

/** "Germany and Austria", "Germany, Austria and France": for messages people read. */
export function listNames(codes: readonly CountryCode[]): string {
  const list = codes.map((c) => byCode.get(c)?.name ?? c).sort((a, b) => a.localeCompare(b, 'en'))
  if (list.length <= 1) return list.join('')
  return `${list.slice(0, -1).join(', ')} and ${list.at(-1)}`
}
