/**
 * @module Security education: eight habits and six common scams, each a page with how it works,
 * warning signs, what Bulwark does and what to do. Written for Bulwark; served by the API and
 * rendered by the Security center.
 */

export type Lesson = {
  slug: string
  kind: 'tip' | 'scam'
  title: string
  summary: string
  howItWorks: string
  warningSigns: string[]
  whatBulwarkDoes: string
  whatToDo: string[]
}

const tip = (l: Omit<Lesson, 'kind'>): Lesson => ({ kind: 'tip', ...l })
const scam = (l: Omit<Lesson, 'kind'>): Lesson => ({ kind: 'scam', ...l })

export const lessons: Lesson[] = [
  tip({
    slug: 'unique-passphrase',
    title: 'Use a long passphrase you use nowhere else',
    summary: 'Length beats complexity, and reuse turns one leak into many break-ins.',
    howItWorks:
      'Attackers try passwords leaked from other sites against exchanges ("credential stuffing"). A password used only here cannot come from someone else\'s breach.',
    warningSigns: [
      'You use the same password on two sites',
      'Your password is a word plus a number',
      'A site you use announced a breach',
    ],
    whatBulwarkDoes:
      'Refuses passwords found in breach lists or containing your email, needs 15 characters (12 with 2FA), and stores only a slow argon2id hash.',
    whatToDo: [
      'Use a password manager',
      'Pick four or more random words',
      'Change the password here if you ever reused it',
    ],
  }),
  tip({
    slug: 'two-factor',
    title: 'Turn on two-factor authentication',
    summary: 'A code from your phone or a passkey stops someone who only has your password.',
    howItWorks:
      'Two-factor authentication asks for something you have (an authenticator app or a passkey) in addition to something you know.',
    warningSigns: ['Your Security center shows 2FA off', 'You still rely on SMS codes elsewhere'],
    whatBulwarkDoes:
      'Supports authenticator apps (TOTP) and passkeys, refuses reused codes, locks attempts after five wrong codes and alerts you.',
    whatToDo: [
      'Enable an authenticator app',
      'Save your 10 recovery codes offline',
      'Add a passkey on a second device',
    ],
  }),
  tip({
    slug: 'passkeys',
    title: 'Prefer passkeys where you can',
    summary: 'Passkeys cannot be typed into a fake site.',
    howItWorks:
      "A passkey is a key pair kept by your device; it only answers to the real site's address, so a look-alike page gets nothing.",
    warningSigns: ['A page asks you to type a code it could forward to the real site'],
    whatBulwarkDoes:
      'Lets you register several passkeys, sign in with one and confirm withdrawals and escrow releases with one.',
    whatToDo: ['Register a passkey in Security center', 'Keep a second passkey or TOTP as backup'],
  }),
  tip({
    slug: 'anti-phishing-code',
    title: 'Set an anti-phishing code and look for it',
    summary: 'Every genuine Bulwark email shows your secret word.',
    howItWorks:
      'You choose a short code. We print it at the top of every email and security notice. Fraudsters do not know it.',
    warningSigns: ['An email "from Bulwark" without your code', 'An email with a different code'],
    whatBulwarkDoes: 'Adds your code to every email it sends and to in-app security alerts.',
    whatToDo: ['Set a code you will recognise', 'Delete emails without it and never click their links'],
  }),
  tip({
    slug: 'whitelist',
    title: 'Lock withdrawals to addresses you trust',
    summary: 'A whitelist means a thief cannot send your funds to their own address.',
    howItWorks:
      'With whitelist mode on, withdrawals only go to addresses you added, and a new address waits 24 hours before it can be used.',
    warningSigns: ['You receive an alert about an address you did not add'],
    whatBulwarkDoes:
      'Checks every address for its network, delays new entries by 24 h, delays turning the whitelist off by 24 h and alerts you at each change.',
    whatToDo: [
      'Turn whitelist mode on',
      'Add your own wallets ahead of time',
      'Press "This wasn\'t me" on any alert you do not recognise',
    ],
  }),
  tip({
    slug: 'devices',
    title: 'Review your devices',
    summary: 'Know every browser that can reach your account.',
    howItWorks: 'Each sign-in is tied to a device. A new device waits for approval by email.',
    warningSigns: ['A device or place you do not recognise', 'An approval email you did not expect'],
    whatBulwarkDoes:
      'Asks you to approve new devices, lists them with last-seen times and ends their sessions the moment you remove one.',
    whatToDo: ['Remove devices you no longer use', 'Never approve a device you are not signing in from'],
  }),
  tip({
    slug: 'verify-links',
    title: 'Type the address yourself',
    summary: 'Look-alike domains are the start of most thefts.',
    howItWorks:
      'Scammers register names one letter away from a real exchange and buy ads or send messages that link there.',
    warningSigns: ['Unusual characters or extra words in the domain', 'A link in a direct message or ad'],
    whatBulwarkDoes: 'Publishes its official domains and checks domains and addresses against known lures.',
    whatToDo: ['Bookmark the real site', 'Do not sign in from links in messages'],
  }),
  tip({
    slug: 'nobody-asks',
    title: 'Nobody from Bulwark will ask for your codes',
    summary: 'Support never needs your password, 2FA codes, recovery codes or keys.',
    howItWorks: 'Impostors pose as support to get the one thing that unlocks your account.',
    warningSigns: [
      '"Support" contacts you first',
      'Pressure to act within minutes',
      'Requests to install remote-access apps',
    ],
    whatBulwarkDoes:
      'Staff tools never show or need your secrets; support can unfreeze an account after review but cannot shorten a withdrawal lock.',
    whatToDo: [
      'Hang up and contact support from the site yourself',
      'Freeze your account if you shared a code',
    ],
  }),
  scam({
    slug: 'phishing',
    title: 'Phishing',
    summary: 'Fake emails, pages and messages that steal sign-in details.',
    howItWorks:
      'A message copies our look and sends you to a copy of the sign-in page; whatever you type goes to the attacker, who signs in at once.',
    warningSigns: [
      'No anti-phishing code, or the wrong one',
      'Urgent warnings about your account',
      'A domain that is almost ours',
    ],
    whatBulwarkDoes:
      'Prints your anti-phishing code in every email, requires approval for new devices, supports passkeys that fake sites cannot use.',
    whatToDo: [
      'Check the code in every email',
      'Use a passkey',
      'Report the message and change your password if you typed it',
    ],
  }),
  scam({
    slug: 'donation-scams',
    title: 'Donation scams',
    summary: 'Fake charities and disaster appeals asking for crypto.',
    howItWorks:
      'After a disaster or during a trending cause, scammers post wallet addresses for "relief" and pocket the money.',
    warningSigns: [
      'Only crypto accepted',
      'No registered charity number',
      'New social accounts pushing one address',
    ],
    whatBulwarkDoes: 'Flags addresses known from scam reports when you add them or send to them.',
    whatToDo: ["Give through the charity's own verified site", 'Check the address on their official page'],
  }),
  scam({
    slug: 'ponzi-schemes',
    title: 'Ponzi schemes',
    summary: "Guaranteed returns paid from newer investors' money.",
    howItWorks:
      'Early investors are paid with deposits from later ones until new money dries up and the operator disappears.',
    warningSigns: [
      'Fixed high daily returns',
      'Withdrawals that get slower',
      'Bonuses for bringing in friends',
    ],
    whatBulwarkDoes:
      'Monitors withdrawals to addresses linked to known schemes and can hold them for review.',
    whatToDo: ['Treat guaranteed returns as a red flag', 'Do not reinvest "profits" you cannot withdraw'],
  }),
  scam({
    slug: 'fake-exchanges',
    title: 'Fake exchanges',
    summary: 'Sites that show profits but never let you withdraw.',
    howItWorks:
      'A polished trading site shows growing balances, then demands "taxes" or "fees" before any withdrawal, and keeps them too.',
    warningSigns: [
      'Met through a dating app or a stranger',
      'Fees to unlock a withdrawal',
      'No proof of reserves',
    ],
    whatBulwarkDoes:
      'Publishes verifiable proof of reserves and checks withdrawal destinations against known fake-exchange wallets.',
    whatToDo: ['Use exchanges with verifiable reserves', 'Never pay to unlock your own money'],
  }),
  scam({
    slug: 'ico-fraud',
    title: 'ICO and token-sale fraud',
    summary: 'New tokens sold on promises, then abandoned.',
    howItWorks:
      'A team sells a token with a glossy white paper, collects funds, and vanishes or dumps its own supply.',
    warningSigns: [
      'Anonymous team',
      'Pressure to buy before a deadline',
      'Token contract that blocks selling',
    ],
    whatBulwarkDoes:
      'Checks token contracts for sell restrictions and unusual owner powers before you interact.',
    whatToDo: ['Research the team and code', 'Only invest what you can lose'],
  }),
  scam({
    slug: 'pyramid-schemes',
    title: 'Pyramid schemes',
    summary: 'Money made from recruiting, not from any product.',
    howItWorks:
      'You pay to join and earn from the people you recruit; most members lose their fee when recruitment stops.',
    warningSigns: ['Earnings depend on recruiting', 'Entry packages or levels', 'Little or no real product'],
    whatBulwarkDoes:
      'Monitors for the tell-tale pattern of many small deposits fanning into one account and reviews it.',
    whatToDo: ['Ask where the money actually comes from', 'Do not recruit friends and family'],
  }),
]

export function lessonBySlug(slug: string): Lesson | undefined {
  return lessons.find((l) => l.slug === slug)
}
