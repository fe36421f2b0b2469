// Shared by the Node writer and the page: no Node-only imports.

/**
 * The same three sentences in each language the wizard offers, for an exported page whose run
 * data is unknown: each row of the page's similarity matrix should find its translation.
 * Written for this purpose (CC0 like datasets/), not taken from a corpus.
 */
interface PageLanguage {
  code: string;
  /** ISO 639-3, as Tatoeba names its files (`tatoeba.deu-eng.deu`). */
  code3: string;
  name: string;
  sentences: [string, string, string];
}

const table: PageLanguage[] = [
  {
    code: "en",
    code3: "eng",
    name: "English",
    sentences: ["The weather is lovely today.", "The train leaves at seven o'clock.", "My sister is reading a book."],
  },
  {
    code: "de",
    code3: "deu",
    name: "German",
    sentences: ["Das Wetter ist heute schön.", "Der Zug fährt um sieben Uhr ab.", "Meine Schwester liest ein Buch."],
  },
  {
    code: "fr",
    code3: "fra",
    name: "French",
    sentences: ["Il fait très beau aujourd'hui.", "Le train part à sept heures.", "Ma sœur lit un livre."],
  },
  {
    code: "es",
    code3: "spa",
    name: "Spanish",
    sentences: ["Hoy hace un tiempo estupendo.", "El tren sale a las siete.", "Mi hermana está leyendo un libro."],
  },
  {
    code: "it",
    code3: "ita",
    name: "Italian",
    sentences: ["Oggi il tempo è bellissimo.", "Il treno parte alle sette.", "Mia sorella sta leggendo un libro."],
  },
  {
    code: "pt",
    code3: "por",
    name: "Portuguese",
    sentences: ["O tempo está ótimo hoje.", "O trem parte às sete horas.", "Minha irmã está lendo um livro."],
  },
  {
    code: "nl",
    code3: "nld",
    name: "Dutch",
    sentences: ["Het weer is vandaag heerlijk.", "De trein vertrekt om zeven uur.", "Mijn zus leest een boek."],
  },
  {
    code: "sv",
    code3: "swe",
    name: "Swedish",
    sentences: ["Vädret är härligt i dag.", "Tåget går klockan sju.", "Min syster läser en bok."],
  },
  {
    code: "pl",
    code3: "pol",
    name: "Polish",
    sentences: ["Dzisiaj jest piękna pogoda.", "Pociąg odjeżdża o siódmej.", "Moja siostra czyta książkę."],
  },
  {
    code: "cs",
    code3: "ces",
    name: "Czech",
    sentences: ["Dnes je krásné počasí.", "Vlak odjíždí v sedm hodin.", "Moje sestra čte knihu."],
  },
  {
    code: "tr",
    code3: "tur",
    name: "Turkish",
    sentences: ["Bugün hava çok güzel.", "Tren saat yedide kalkıyor.", "Kız kardeşim bir kitap okuyor."],
  },
  {
    code: "fi",
    code3: "fin",
    name: "Finnish",
    sentences: ["Tänään on ihana sää.", "Juna lähtee kello seitsemän.", "Siskoni lukee kirjaa."],
  },
  {
    code: "ru",
    code3: "rus",
    name: "Russian",
    sentences: ["Сегодня прекрасная погода.", "Поезд отправляется в семь часов.", "Моя сестра читает книгу."],
  },
  {
    code: "uk",
    code3: "ukr",
    name: "Ukrainian",
    sentences: ["Сьогодні чудова погода.", "Потяг відправляється о сьомій годині.", "Моя сестра читає книжку."],
  },
  {
    code: "el",
    code3: "ell",
    name: "Greek",
    sentences: ["Ο καιρός είναι υπέροχος σήμερα.", "Το τρένο φεύγει στις επτά.", "Η αδελφή μου διαβάζει ένα βιβλίο."],
  },
  {
    code: "ar",
    code3: "ara",
    name: "Arabic",
    sentences: ["الطقس جميل اليوم.", "يغادر القطار في الساعة السابعة.", "أختي تقرأ كتابًا."],
  },
  {
    code: "he",
    code3: "heb",
    name: "Hebrew",
    sentences: ["מזג האוויר נהדר היום.", "הרכבת יוצאת בשעה שבע.", "אחותי קוראת ספר."],
  },
  {
    code: "fa",
    code3: "fas",
    name: "Persian",
    sentences: ["امروز هوا عالی است.", "قطار ساعت هفت حرکت می‌کند.", "خواهرم دارد کتاب می‌خواند."],
  },
  {
    code: "hi",
    code3: "hin",
    name: "Hindi",
    sentences: ["आज मौसम बहुत अच्छा है।", "ट्रेन सात बजे निकलती है।", "मेरी बहन एक किताब पढ़ रही है।"],
  },
  {
    code: "vi",
    code3: "vie",
    name: "Vietnamese",
    sentences: ["Hôm nay thời tiết thật đẹp.", "Tàu khởi hành lúc bảy giờ.", "Em gái tôi đang đọc sách."],
  },
  {
    code: "id",
    code3: "ind",
    name: "Indonesian",
    sentences: [
      "Cuaca hari ini sangat cerah.",
      "Kereta berangkat pukul tujuh.",
      "Kakak perempuan saya sedang membaca buku.",
    ],
  },
  {
    code: "ja",
    code3: "jpn",
    name: "Japanese",
    sentences: ["今日はとても良い天気です。", "電車は七時に出発します。", "姉は本を読んでいます。"],
  },
  { code: "zh", code3: "cmn", name: "Chinese", sentences: ["今天天气很好。", "火车七点出发。", "我姐姐在看书。"] },
  {
    code: "ko",
    code3: "kor",
    name: "Korean",
    sentences: ["오늘은 날씨가 정말 좋아요.", "기차는 일곱 시에 출발합니다.", "언니는 책을 읽고 있어요."],
  },
  { code: "th", code3: "tha", name: "Thai", sentences: ["วันนี้อากาศดีมาก", "รถไฟออกเวลาเจ็ดโมง", "พี่สาวของฉันกำลังอ่านหนังสือ"] },
];

/** The language of an ISO 639-1 or 639-3 code (`de`, `deu`), if the table has it. */
function find(code: string): PageLanguage | undefined {
  const key = code.toLowerCase();
  return table.find((language) => language.code === key || language.code3 === key);
}

/** `German` for `de`; an unknown code as it is. */
export function languageName(code: string): string {
  return find(code)?.name ?? code;
}

/** ISO 639-1 for a code the table knows in either form (`deu` → `de`). */
export function languageCode(code: string): string | undefined {
  return find(code)?.code;
}

/**
 * Built-in sentences for `languages`: each meaning in every language, meaning by meaning, so
 * that a sentence's best match is its translation. English alone when no language is known.
 */
export function builtInSamples(languages: string[]): string[] {
  const known = languages.map(find).filter((language): language is PageLanguage => language !== undefined);
  const chosen = known.length > 0 ? known : [table[0]!];
  return [0, 1, 2].flatMap((index) => chosen.map((language) => language.sentences[index]!));
}
