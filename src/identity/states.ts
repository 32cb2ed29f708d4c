/**
 * @module ICAO 9303 state codes: the three-letter codes an MRZ uses for the issuing state and the
 * holder's nationality, mapped to the ISO 3166-1 alpha-2 code P2P region rules read. Codes that are
 * valid in an MRZ but name no country (United Nations, stateless persons, refugees, the EU,
 * Interpol…) are recognised but map to no country; `UTO` ("Utopia") is the specification's
 * fictional specimen state. The alpha-3/alpha-2 pairs are the ISO 3166-1 list (Debian iso-codes).
 */

const ISO_PAIRS =
  'ABWAW AFGAF AGOAO AIAAI ALAAX ALBAL ANDAD AREAE ARGAR ARMAM ASMAS ATAAQ ATFTF ATGAG AUSAU AUTAT AZEAZ BDIBI ' +
  'BELBE BENBJ BESBQ BFABF BGDBD BGRBG BHRBH BHSBS BIHBA BLMBL BLRBY BLZBZ BMUBM BOLBO BRABR BRBBB BRNBN BTNBT ' +
  'BVTBV BWABW CAFCF CANCA CCKCC CHECH CHLCL CHNCN CIVCI CMRCM CODCD COGCG COKCK COLCO COMKM CPVCV CRICR CUBCU ' +
  'CUWCW CXRCX CYMKY CYPCY CZECZ DEUDE DJIDJ DMADM DNKDK DOMDO DZADZ ECUEC EGYEG ERIER ESHEH ESPES ESTEE ETHET ' +
  'FINFI FJIFJ FLKFK FRAFR FROFO FSMFM GABGA GBRGB GEOGE GGYGG GHAGH GIBGI GINGN GLPGP GMBGM GNBGW GNQGQ GRCGR ' +
  'GRDGD GRLGL GTMGT GUFGF GUMGU GUYGY HKGHK HMDHM HNDHN HRVHR HTIHT HUNHU IDNID IMNIM INDIN IOTIO IRLIE IRNIR ' +
  'IRQIQ ISLIS ISRIL ITAIT JAMJM JEYJE JORJO JPNJP KAZKZ KENKE KGZKG KHMKH KIRKI KNAKN KORKR KWTKW LAOLA LBNLB ' +
  'LBRLR LBYLY LCALC LIELI LKALK LSOLS LTULT LUXLU LVALV MACMO MAFMF MARMA MCOMC MDAMD MDGMG MDVMV MEXMX MHLMH ' +
  'MKDMK MLIML MLTMT MMRMM MNEME MNGMN MNPMP MOZMZ MRTMR MSRMS MTQMQ MUSMU MWIMW MYSMY MYTYT NAMNA NCLNC NERNE ' +
  'NFKNF NGANG NICNI NIUNU NLDNL NORNO NPLNP NRUNR NZLNZ OMNOM PAKPK PANPA PCNPN PERPE PHLPH PLWPW PNGPG POLPL ' +
  'PRIPR PRKKP PRTPT PRYPY PSEPS PYFPF QATQA REURE ROURO RUSRU RWARW SAUSA SDNSD SENSN SGPSG SGSGS SHNSH SJMSJ ' +
  'SLBSB SLESL SLVSV SMRSM SOMSO SPMPM SRBRS SSDSS STPST SURSR SVKSK SVNSI SWESE SWZSZ SXMSX SYCSC SYRSY TCATC ' +
  'TCDTD TGOTG THATH TJKTJ TKLTK TKMTM TLSTL TONTO TTOTT TUNTN TURTR TUVTV TWNTW TZATZ UGAUG UKRUA UMIUM URYUY ' +
  'USAUS UZBUZ VATVA VCTVC VENVE VGBVG VIRVI VNMVN VUTVU WLFWF WSMWS YEMYE ZAFZA ZMBZM ZWEZW'

const iso3to2 = new Map<string, string>(
  ISO_PAIRS.split(' ').map((pair) => [pair.slice(0, 3), pair.slice(3)] as [string, string]),
)

/** ICAO codes that are not ISO 3166-1 alpha-3 but denote a state (Doc 9303 part 3, 5). */
const ICAO_STATES: Record<string, string> = {
  D: 'DE',
  GBD: 'GB',
  GBN: 'GB',
  GBO: 'GB',
  GBP: 'GB',
  GBS: 'GB',
  RKS: 'XK',
}

/** Valid in an MRZ, but no country: organisations, stateless persons and refugees. */
const ICAO_NOT_A_STATE: Record<string, string> = {
  EUE: 'European Union',
  UNA: 'United Nations specialised agency',
  UNK: 'United Nations Interim Administration in Kosovo',
  UNO: 'United Nations',
  XBA: 'African Development Bank',
  XCC: 'Caribbean Community',
  XCE: 'Council of Europe',
  XCO: 'Common Market for Eastern and Southern Africa',
  XEC: 'Economic Community of West African States',
  XES: 'Organisation of Eastern Caribbean States',
  XIM: 'African Export-Import Bank',
  XMP: 'Parliament of Mercosur',
  XOM: 'Sovereign Military Order of Malta',
  XPO: 'Interpol',
  XXA: 'stateless person',
  XXB: 'refugee (1951 Convention)',
  XXC: 'refugee (other)',
  XXX: 'unspecified nationality',
}

/** The specification's fictional specimen state. */
export const SPECIMEN_STATE = 'UTO'

export type StateCode =
  | { kind: 'country'; code: string; country: string }
  | { kind: 'organisation'; code: string; name: string }
  | { kind: 'specimen'; code: string }
  | { kind: 'unknown'; code: string }

/**
 * What an MRZ state field denotes; filler `<` is ignored (`D<<` is Germany).
 *
 * @example icaoState('FRA') // { kind: 'country', code: 'FRA', country: 'FR' }
 */
export function icaoState(field: string): StateCode {
  const code = field.replace(/<+$/, '')
  const iso = iso3to2.get(code) ?? ICAO_STATES[code]
  if (iso) return { kind: 'country', code, country: iso }
  const organisation = ICAO_NOT_A_STATE[code]
  if (organisation) return { kind: 'organisation', code, name: organisation }
  if (code === SPECIMEN_STATE) return { kind: 'specimen', code }
  return { kind: 'unknown', code }
}
