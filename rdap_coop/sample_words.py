"""The raw material of the sample registry: its vocabulary and the pure draws from it.

The vocabulary is invented: registrar and provider web domains use the reserved
``.example`` TLD (RFC 2606), e-mail addresses the reserved ``.test`` TLD, and IP
addresses the documentation ranges (RFC 5737, RFC 3849); place and person names are
common ones of each language, written in NFC. The draw functions turn it into names,
people, postcodes, phone numbers, dates and DNSSEC data with a caller's seeded
``random.Random``, so ``rdap_coop.sample`` only decides which objects exist and how they
refer to each other. Kept apart so the data can grow without touching that logic.
"""

from __future__ import annotations

import ipaddress
import random
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from itertools import accumulate
from typing import Final, NamedTuple

import idna

SAMPLE_EPOCH: Final = datetime(2026, 11, 1, tzinfo=UTC)
"""The sample's "now": every date is before it, except expiry dates."""
LATEST_GENERATED: Final = SAMPLE_EPOCH - timedelta(hours=1)
"""Generated objects change no later than this; the registry's last change is a showcase one,
so the freshness every answer reports does not depend on the size or the seed."""


class Locale(NamedTuple):
    """How cooperatives of one language and country name themselves and where they live."""

    country: str
    phone_prefix: str  # E.164a country prefix, '+CC.'
    phone_digits: int
    weight: int  # relative share of registrations
    idn_share: float  # chance a name keeps its native letters (1.0 for non-Latin scripts)
    patterns: tuple[tuple[str, str], ...]  # (label template, organisation template)
    places: tuple[str, ...]
    place_forms: tuple[str, ...]  # '{}' is a place: "North {}" makes "North Ashford"
    kinds: tuple[str, ...]
    given: tuple[str, ...]
    family: tuple[str, ...]  # empty when ``given`` holds full names
    family_first: bool
    name_separator: str
    cities: tuple[tuple[str, str | None, str], ...]  # city, state/province, postcode shape
    streets: tuple[str, ...]  # '{n}' is a number
    second_lines: tuple[str, ...]


class RegistrarSeed(NamedTuple):
    iana_id: int
    name: str
    web_domain: str  # www., whois. and rdap. hosts and e-mail live under it
    street: tuple[str, ...]
    city: str
    state_province: str | None
    postal_code: str
    country_code: str
    phone: str
    fax: str | None
    abuse_phone: str
    created_at: datetime
    updated_at: datetime | None
    weight: int
    accredited: bool  # False for the registry's own reserved ID: no whois. or rdap.


class DnsProvider(NamedTuple):
    """A hosting provider: shared out-of-zone nameservers plus its NOC as a tech contact."""

    organisation: str
    noc_name: str
    street: tuple[str, ...]
    city: str
    state_province: str | None
    postal_code: str
    country_code: str
    voice: str
    email: str
    hosts: tuple[str, ...]
    registrar_id: int
    created_at: datetime


def _utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def _items(text: str) -> tuple[str, ...]:
    """Comma-separated items, so long word lists stay readable."""
    return tuple(item.strip() for item in text.split(","))


def _compounds(heads: str, tails: str) -> tuple[str, ...]:
    return tuple(head + tail for head in _items(heads) for tail in _items(tails))


_EN_GIVEN = _items("Oliver, Amelia, George, Isla, Harry, Ava, Jack, Mia, Noah, Grace, Arjun, "
                   "Fatima, Siobhan, Rhys, Eilidh, Priya, Tom, Hannah, Kwame, Niamh")
_EN_FAMILY = _items("Smith, Jones, Taylor, Brown, Williams, Wilson, Evans, Thomas, Patel, Khan, "
                    "Murphy, Campbell, Hughes, Walker, Wright, Okafor, Davies, Ahmed")
_US_GIVEN = _items("James, Maria, Robert, Jennifer, Michael, Linda, David, Aisha, Carlos, Emily, "
                   "Daniel, Keisha, Wei, Sarah, Tyler, Rosa, Ingrid, Marcus")
_US_FAMILY = _items("Johnson, Garcia, Miller, Davis, Rodriguez, Martinez, Anderson, Thompson, "
                    "Nguyen, Lee, Olson, Hansen, Jackson, White, Lopez, Lindqvist, Yazzie")
_EN_PLACES = _compounds(
    "Ash, Brook, Elm, Hazel, Kings, Mill, North, Oak, Red, Stone, West, Wood, Fern, High, Marsh, "
    "Holly, Raven, Thorn, Bright, Church, Cold, Fair, Green, Hart, Lang, Long, Moss, Rose",
    "ford, field, bridge, dale, ton, ley, wick, bury, ham, vale, combe, hurst, stead, well, worth"
) + _items("Pennine, Severn, Cotswold, Tyneside, Fenland, Riverside, Moorland, Wolds, Weald")
_EN_FORMS = _items("{}, {}, {}, {}, North {}, South {}, East {}, West {}, Upper {}, Lower {}, "
                   "Old {}, Great {}, Little {}")
_US_PLACES = _compounds(
    "Prairie, Lake, River, Cedar, Pine, Maple, Green, Sun, Hill, Twin, Clear, Spring, Stone, "
    "Eagle, Harbor, Oak, Elk, Fox, Willow, Aspen, Bear, Deer, Silver, Walnut",
    "view, side, field, wood, land, ridge, brook, dale, crest, port, creek, haven, mont, ton"
) + _items("Vermont, Iowa, Dakota, Ozark, Blue Ridge, Great Lakes, Heartland, Cascade, Hudson")
_US_FORMS = _items("{}, {}, {}, {}, North {}, South {}, East {}, West {}, Lake {}, {} Valley, "
                   "{} County, Mount {}, New {}")
_US_KINDS = _items("Food, Grocery, Electric, Telephone, Farm, Dairy, Grain, Housing, Bike, Worker, "
                   "Childcare, Solar, Broadband, Artisans, Cheese, Cranberry, Organic, Hardware, "
                   "Credit, Seed, Natural Foods, Home Care")
_PT_KINDS = _items("Agrícola, Agropecuária, de Crédito, Habitacional, de Laticínios, Vinícola, "
                   "de Consumo, de Trabalho, Apícola, de Café, Médica, de Reciclagem")
_PT_PATTERNS = (("cooperativa-{kind}-{place}", "Cooperativa {Kind} {Place}"),
                ("coop-{place}-{kind}", "Cooperativa {Kind} {Place}"),
                ("{place}-cooperativa-{kind}", "Cooperativa {Kind} {Place}"))
_PT_FORMS = _items("{}, {}, {}, Alto {}, Baixo {}, {} Norte, {} Sul, Vale do {}")
_JA_PLACES = _items("北海道, 十勝, 信州, 静岡, 九州, 京都, 奈良, 沖縄, 新潟, 宮崎, 東北, "
                    "紀州, 湘南, びわこ, 富山, 高知, 熊本, 青森, 秋田, 山形, 福井, 鳥取, "
                    "島根, 愛媛, 長野")

LOCALES: tuple[Locale, ...] = (
    Locale("GB", "+44.", 10, 20, 0.0,
           (("{place}-{kind}-coop", "{Place} {Kind} Co-operative Ltd"),
            ("{place}-{kind}", "{Place} {Kind} Co-operative Society Limited"),
            ("{place}{kind}coop", "{Place} {Kind} Co-op"),
            ("{kind}-co-op-{place}", "{Place} {Kind} Co-operative Ltd")),
           _EN_PLACES, _EN_FORMS,
           _items("Dairy, Housing, Bakery, Energy, Food, Farmers, Growers, Bookshop, Brewery, "
                  "Cycle, Printers, Grocers, Wind, Solar, Care, Childcare, Arts, Taxi, Builders, "
                  "Orchard, Fishermen, Weavers, Community Pub, Land Trust, Wholefoods"),
           _EN_GIVEN, _EN_FAMILY, False, " ",
           (("Manchester", "Greater Manchester", "M## #@@"), ("Leeds", "West Yorkshire", "LS# #@@"),
            ("Bristol", None, "BS# #@@"), ("Norwich", "Norfolk", "NR# #@@"),
            ("Glasgow", None, "G## #@@"), ("Cardiff", None, "CF## #@@"),
            ("Rochdale", "Greater Manchester", "OL## #@@"),
            ("Stroud", "Gloucestershire", "GL# #@@")),
           _items("{n} High Street, {n} Station Road, {n} Church Lane, {n} Mill Street, "
                  "{n} Market Place, {n} Victoria Road"),
           _items("Unit {n}, Flat {n}, Suite {n}, The Old Dairy")),
    Locale("US", "+1.", 10, 22, 0.0,
           (("{place}-{kind}-coop", "{Place} {Kind} Co-op"),
            ("{place}{kind}", "{Place} {Kind} Cooperative, Inc."),
            ("{place}-{kind}-cooperative", "{Place} {Kind} Cooperative")),
           _US_PLACES, _US_FORMS, _US_KINDS, _US_GIVEN, _US_FAMILY, False, " ",
           (("Minneapolis", "MN", "554##"), ("Madison", "WI", "537##"), ("Portland", "OR", "972##"),
            ("Burlington", "VT", "054##"), ("Austin", "TX", "787##"), ("Ithaca", "NY", "148##"),
            ("Asheville", "NC", "288##"), ("Berkeley", "CA", "947##"),
            ("Des Moines", "IA", "503##")),
           _items("{n} Main Street, {n} Cedar Avenue, {n} Lake Street, {n} Grand Avenue, "
                  "{n} Union Street"),
           _items("Suite {n}, Apt {n}, Building {n}")),
    Locale("CA", "+1.", 10, 5, 0.0,
           (("{place}-{kind}-coop", "{Place} {Kind} Co-operative Ltd"),
            ("{place}{kind}", "{Place} {Kind} Co-op")),
           _US_PLACES + _items("Okanagan, Fundy, Muskoka, Peace River"), _US_FORMS, _US_KINDS,
           _EN_GIVEN, _US_FAMILY, False, " ",
           (("Saskatoon", "SK", "S7@ #@#"), ("Winnipeg", "MB", "R3@ #@#"),
            ("Halifax", "NS", "B3@ #@#"), ("Vancouver", "BC", "V6@ #@#"),
            ("Guelph", "ON", "N1@ #@#")),
           _items("{n} Main Street, {n} Prairie Avenue, {n} King Street"),
           _items("Unit {n}, Suite {n}")),
    Locale("ES", "+34.", 9, 8, 0.15,
           (("cooperativa-{kind}-{place}", "Cooperativa {Kind} {Place}"),
            ("coop-{kind}-{place}", "Cooperativa {Kind} {Place}, S. Coop."),
            ("{place}-cooperativa-{kind}", "Sociedad Cooperativa {Kind} {Place}")),
           _items("San Isidro, Santa María, Valle del Jerte, La Mancha, Sierra Nevada, El Ejido, "
                  "Vega Baja, Rioja Alta, Alpujarra, Ribera del Duero, Bierzo, Guadalquivir, "
                  "Priorat, Axarquía, Los Pedroches, Tierra de Campos, Monegros, Urola, Goierri, "
                  "Baztan, Aljarafe, Campo de Cartagena, Montes de Toledo, Andújar, La Vera, "
                  "Las Hurdes, Valle de Lecrín, Somontano, Matarraña, Garrotxa, Empordà, Penedès, "
                  "Liébana, Sanabria, Tierra Estella, Jiloca, Serranía de Ronda, Los Vélez"),
           _items("{}, {}, {}, Alto {}, Bajo {}, {} Norte, {} Sur"),
           _items("Agrícola, Olivarera, Vinícola, Ganadera, de Viviendas, de Consumo, de Crédito, "
                  "de Trabajo Asociado, Hortofrutícola, Lechera, de Enseñanza, Eléctrica, "
                  "de Transportes, Citrícola, Arrocera, Almendrera, Quesera"),
           _items("Lucía, Hugo, María, Javier, Carmen, Alejandro, Ainhoa, Iker, Sofía, Pablo, "
                  "Nerea, José"),
           _items("García, Fernández, González, Rodríguez, López, Martínez, Sánchez, Pérez, "
                  "Etxeberria, Goikoetxea, Ruiz, Jiménez"), False, " ",
           (("Bilbao", "Bizkaia", "480##"), ("Arrasate-Mondragón", "Gipuzkoa", "205##"),
            ("Valencia", "Valencia", "460##"), ("Sevilla", "Sevilla", "410##"),
            ("Almería", "Almería", "040##"), ("Pamplona", "Navarra", "310##")),
           _items("Calle Mayor {n}, Avenida de la Constitución {n}, Calle San Juan {n}, "
                  "Plaza de España {n}"),
           _items("{n}º B, Piso {n}, Local {n}, Entresuelo")),
    Locale("FR", "+33.", 9, 8, 0.2,
           (("coopérative-{kind}-{place}", "Coopérative {Kind} {Place}"),
            ("coop-{kind}-{place}", "Société coopérative {Kind} {Place}"),
            ("scop-{place}-{kind}", "SCOP {Kind} {Place}"),
            ("cave-coopérative-{place}", "Cave coopérative {Place}")),
           _items("Bretagne, Normandie, Provence, Val de Loire, Beaujolais, Bourgogne, Jura, "
                  "Savoie, Périgord, Alsace, Cévennes, Vercors, Champagne, Gascogne, "
                  "Pays Basque, Morvan, Limousin, Vendée, Roussillon, Ardèche, Quercy, Berry, "
                  "Lorraine, Corrèze, Aubrac, Bresse, Cotentin, Diois, Luberon, Minervois, "
                  "Sologne, Trièves"),
           _items("{}, {}, {}, Haut-{}, {} Nord, {} Sud, {} Est, {} Ouest, Cœur de {}"),
           _items("agricole, viticole, laitière, d'habitants, de consommateurs, d'artisans, "
                  "de production, forestière, fromagère, oléicole, maraîchère, "
                  "d'activités et d'emploi, de pêcheurs, énergétique, céréalière"),
           _items("Camille, Louis, Léa, Gabriel, Chloé, Hugo, Manon, Jules, Inès, Théo, Élodie, "
                  "Mathieu"),
           _items("Martin, Bernard, Dubois, Thomas, Robert, Richard, Petit, Durand, Lefèvre, "
                  "Moreau, Garnier, Le Gall"), False, " ",
           (("Lyon", None, "6900#"), ("Rennes", None, "350##"), ("Bordeaux", None, "330##"),
            ("Montpellier", None, "340##"), ("Nantes", None, "440##"), ("Dijon", None, "210##"),
            ("Annecy", None, "740##")),
           _items("{n} rue de la République, {n} avenue Jean Jaurès, {n} place du Marché, "
                  "{n} rue des Vignerons, {n} chemin des Prés"),
           _items("Bâtiment B, BP {n}, Escalier {n}, Zone artisanale")),
    Locale("DE", "+49.", 10, 8, 0.15,
           (("{kind}-{place}", "{Kind} {Place} eG"), ("{place}-{kind}", "{Kind} {Place} eG"),
            ("genossenschaft-{place}", "Genossenschaft {Place} eG"),
            ("{kind}{place}", "{Kind} {Place} eG")),
           _compounds("Linden, Rosen, Eichen, Birken, Buchen, Tannen, Sonnen, Wiesen, Neu, Alt, "
                      "Ober, Unter, Hohen, Kirch, Mühl, Stein",
                      "dorf, feld, bach, berg, hausen, heim, au, tal, stedt, hagen, rode")
           + _items("Allgäu, Schwarzwald, Spreewald, Eifel, Rheingau, Harz, Uckermark, Wendland"),
           _items("{}, {}, {}, {} Nord, {} Süd, Bad {}, Alt-{}, {} am See"),
           _items("Bürgerenergie, Wohnungsbaugenossenschaft, Molkereigenossenschaft, "
                  "Winzergenossenschaft, Dorfladen, Bäckergenossenschaft, Agrargenossenschaft, "
                  "Konsumgenossenschaft, Ärztegenossenschaft, Fahrradgenossenschaft, "
                  "Solargenossenschaft, Weidegenossenschaft, Wohnprojekt, Brauereigenossenschaft"),
           _items("Anna, Lukas, Marie, Felix, Sophie, Jonas, Lena, Paul, Hannah, Maximilian, "
                  "Jürgen, Ute"),
           _items("Müller, Schmidt, Schneider, Fischer, Weber, Meyer, Wagner, Becker, Schulz, "
                  "Hoffmann, Schäfer, Koch"), False, " ",
           (("Berlin", None, "101##"), ("Hamburg", None, "221##"), ("München", "Bayern", "803##"),
            ("Freiburg im Breisgau", "Baden-Württemberg", "791##"), ("Leipzig", "Sachsen", "041##"),
            ("Münster", None, "481##"), ("Kassel", "Hessen", "3411#")),
           _items("Hauptstraße {n}, Bahnhofstraße {n}, Lindenallee {n}, Am Markt {n}, "
                  "Raiffeisenstraße {n}"),
           _items("Hinterhaus, {n}. OG, Aufgang B")),
    Locale("IT", "+39.", 10, 7, 0.1,
           (("cooperativa-{kind}-{place}", "Cooperativa {Kind} {Place}"),
            ("coop-{kind}-{place}", "{Place} Società Cooperativa {Kind}"),
            ("cantina-{place}", "Cantina Sociale {Place} Soc. Coop."),
            ("caseificio-{place}", "Caseificio Sociale {Place}")),
           _items("Appennino, Romagna, Val di Non, Langhe, Chianti, Valpolicella, Maremma, "
                  "Salento, Cilento, Lunigiana, Polesine, Franciacorta, Valtellina, Carso, Sannio, "
                  "Irpinia, Monferrato, Garfagnana, Mugello, Casentino, Roero, Oltrepò, Valdarno, "
                  "Murge, Sila, Barbagia, Ogliastra, Val Seriana, Val d'Orcia, Lomellina"),
           _items("{}, {}, {}, Alto {}, Basso {}, {} Nord, {} Sud"),
           _items("agricola, sociale, edilizia, di consumo, vinicola, casearia, di lavoro, "
                  "ortofrutticola, olivicola, forestale, di comunità, dei pescatori, energetica"),
           _items("Giulia, Marco, Francesca, Luca, Chiara, Alessandro, Sara, Matteo, Elena, "
                  "Davide, Martina, Niccolò"),
           _items("Rossi, Russo, Ferrari, Esposito, Bianchi, Romano, Colombo, Ricci, Marino, "
                  "Greco, Bruno, Gallo"), False, " ",
           (("Bologna", "BO", "401##"), ("Reggio Emilia", "RE", "421##"), ("Modena", "MO", "411##"),
            ("Trento", "TN", "381##"), ("Perugia", "PG", "061##"), ("Ravenna", "RA", "481##")),
           _items("Via Roma {n}, Via Garibaldi {n}, Via Emilia {n}, Corso Italia {n}"),
           _items("Scala B, Interno {n}, Piano {n}")),
    Locale("PT", "+351.", 9, 3, 0.15, _PT_PATTERNS,
           _items("Alentejo, Douro, Minho, Ribatejo, Beira Alta, Trás-os-Montes, Algarve, Oeste, "
                  "Dão, Bairrada, Lafões, Barroso, Tâmega, Cova da Beira, Serra da Estrela"),
           _PT_FORMS, _PT_KINDS,
           _items("Maria, João, Ana, Pedro, Inês, Tiago, Beatriz, Rui, Mariana, Diogo"),
           _items("Silva, Santos, Ferreira, Pereira, Oliveira, Costa, Rodrigues, Martins, Sousa, "
                  "Gonçalves"), False, " ",
           (("Lisboa", None, "1###-###"), ("Porto", None, "4###-###"), ("Braga", None, "47##-###"),
            ("Évora", None, "70##-###"), ("Coimbra", None, "30##-###")),
           _items("Rua Augusta {n}, Avenida da Liberdade {n}, Rua do Comércio {n}"),
           _items("{n}º Esq., {n}º Dto., Loja {n}")),
    Locale("BR", "+55.", 11, 5, 0.15, _PT_PATTERNS,
           _items("Serra Gaúcha, Vale do Itajaí, Oeste Paranaense, Cerrado, Sul de Minas, "
                  "Zona da Mata, Recôncavo, Sertão, Campos Gerais, Vale do Taquari, Agreste, "
                  "Pampa, Planalto Norte, Vale do Ribeira, Alto Uruguai, Triângulo Mineiro"),
           _PT_FORMS, _PT_KINDS,
           _items("Ana, Lucas, Juliana, Gabriel, Fernanda, Rafael, Camila, Bruno, Larissa, Thiago"),
           _items("Silva, Souza, Oliveira, Lima, Pereira, Carvalho, Almeida, Ribeiro, Barbosa, "
                  "Cardoso"), False, " ",
           (("São Paulo", "SP", "0####-###"), ("Porto Alegre", "RS", "9####-###"),
            ("Curitiba", "PR", "8####-###"), ("Chapecó", "SC", "898##-###")),
           _items("Rua das Flores {n}, Avenida Brasil {n}, Rua XV de Novembro {n}"),
           _items("Sala {n}, Apto {n}, Bloco B")),
    Locale("JP", "+81.", 10, 2, 1.0,
           (("{place}{kind}", "{Place}{Kind}"), ("コープ{place}", "コープ{Place}")),
           _JA_PLACES, _items("{}, {}, 北{}, 南{}, 東{}, 西{}"),
           _items("生活協同組合, 農業協同組合, 漁業協同組合, 森林組合, 消費生活協同組合, "
                  "酪農協同組合, 医療生活協同組合, 労働者協同組合, 事業協同組合"),
           _items("花子, 太郎, 陽子, 健一, 美咲, 翔太, 由美, 大輔"),
           _items("佐藤, 鈴木, 高橋, 田中, 伊藤, 渡辺, 山本, 中村"), True, " ",
           (("千代田区", "東京都", "100-00##"), ("札幌市", "北海道", "060-00##"),
            ("大阪市", "大阪府", "530-00##"), ("神戸市", "兵庫県", "650-00##")),
           _items("中央{n}丁目2-5, 本町{n}-4-1, 栄町{n}-12"), ("協同ビル{n}階",)),
    Locale("CN", "+86.", 11, 1, 1.0, (("{place}{kind}", "{Place}{Kind}"),),
           _items("云南, 四川, 浙江, 安溪, 普洱, 五常, 寿光, 宁夏, 烟台, 赣南, 洛川, "
                  "库尔勒, 吐鲁番, 阳澄湖, 眉山, 霞浦, 武夷山, 黄山, 恩施, 延边"), ("{}",),
           _compounds("茶叶, 果蔬, 蔬菜, 水稻, 养蜂, 苹果, 柑橘, 奶牛, 中药材, 食用菌",
                      "专业合作社, 农民专业合作社, 种植合作社"),
           _items("伟, 芳, 娜, 敏, 静, 磊, 洋, 艳, 勇, 军"),
           _items("王, 李, 张, 刘, 陈, 杨, 黄, 赵, 周, 吴"), True, "",
           (("成都市", "四川省", "6100##"), ("昆明市", "云南省", "6500##"),
            ("杭州市", "浙江省", "3100##")),
           _items("人民路{n}号, 解放路{n}号, 中山路{n}号"), ("{n}室",)),
    Locale("KR", "+82.", 9, 1, 1.0, (("{place}{kind}", "{Place}{Kind}"),),
           _items("서울, 부산, 원주, 전주, 제주, 강원, 홍성, 춘천, 안성, 광주, 대전, 청주, 순천, "
                  "여수, 경주, 안동, 괴산, 완주, 남원, 성남"), ("{}",),
           _items("협동조합, 사회적협동조합, 소비자생활협동조합, 의료복지사회적협동조합, "
                  "주택협동조합, 신용협동조합, 농업협동조합, 로컬푸드협동조합"),
           _items("민준, 서연, 도윤, 지우, 하준, 서윤, 예준, 지민"),
           _items("김, 이, 박, 최, 정, 강, 조, 윤"), True, "",
           (("서울특별시", None, "031##"), ("원주시", "강원도", "263##"),
            ("전주시", "전라북도", "549##")),
           _items("세종대로 {n}, 중앙로 {n}, 평화로 {n}"), ("{n}층",)),
    Locale("GR", "+30.", 10, 1, 1.0,
           (("{kind}-{place}", "{Kind} {Place}"), ("συνεταιρισμός-{place}", "{Kind} {Place}")),
           _items("Κρήτης, Μεσσηνίας, Λέσβου, Νάξου, Χίου, Ζαγορίου, Αιγίνης, Σάμου, Θεσσαλίας, "
                  "Πηλίου, Άρτας, Κορινθίας, Λακωνίας, Ηλείας, Καβάλας, Δράμας, Κέρκυρας, Ρόδου"),
           ("{}",),
           _items("Αγροτικός Συνεταιρισμός, Ελαιουργικός Συνεταιρισμός, "
                  "Οινοποιητικός Συνεταιρισμός, Γαλακτοκομικός Συνεταιρισμός, "
                  "Αλιευτικός Συνεταιρισμός, Καταναλωτικός Συνεταιρισμός, "
                  "Κοινωνικός Συνεταιρισμός"),
           _items("Γιώργος, Μαρία, Δημήτρης, Ελένη, Νίκος, Αικατερίνη, Κώστας, Σοφία"),
           _items("Γεωργίου, Νικολάου, Βασιλείου, Δημητρίου, Ιωάννου, Οικονόμου, Αλεξίου"),
           False, " ",
           (("Αθήνα", "Αττική", "105 ##"), ("Θεσσαλονίκη", "Κεντρική Μακεδονία", "546 ##"),
            ("Ηράκλειο", "Κρήτη", "712 ##")),
           _items("Οδός Ερμού {n}, Λεωφόρος Συγγρού {n}, Οδός Αθηνάς {n}"), ("{n}ος όροφος",)),
    Locale("RU", "+7.", 10, 1, 1.0,
           (("{place}-{kind}", "{Place} {Kind}"), ("кооператив-{place}", "{Kind} «{Place}»")),
           _items("Вологодский, Алтайский, Кубанский, Сибирский, Уральский, Волжский, Тамбовский, "
                  "Рязанский, Донской, Окский, Ладожский, Северный, Таёжный, Степной, Приморский"),
           ("{}",),
           _items("молочный кооператив, сельскохозяйственный кооператив, "
                  "потребительский кооператив, жилищный кооператив, кредитный кооператив, "
                  "рыболовецкий кооператив"),
           _items("Анна Смирнова, Иван Петров, Мария Кузнецова, Алексей Соколов, Елена Попова, "
                  "Дмитрий Волков, Ольга Морозова, Сергей Лебедев"), (), False, "",
           (("Москва", None, "1010##"), ("Казань", "Республика Татарстан", "4200##"),
            ("Екатеринбург", "Свердловская область", "6200##"),
            ("Вологда", "Вологодская область", "1600##")),
           _items("ул. Ленина д. {n}, ул. Мира д. {n}, пр. Победы д. {n}"),
           _items("кв. {n}, офис {n}")),
    Locale("IN", "+91.", 10, 1, 1.0, (("{place}-{kind}", "{Place} {Kind}"),),
           _items("पटना, वाराणसी, इंदौर, कानपुर, अजमेर, उदयपुर, आगरा, कोटा, बीकानेर, मथुरा, "
                  "गोरखपुर, प्रयागराज, ग्वालियर, जोधपुर, रांची, देहरादून"), ("{}",),
           _items("दुग्ध सहकारी समिति, किसान सहकारी समिति, आवास सहकारी समिति, बुनकर सहकारी समिति, "
                  "सहकारी बैंक, महिला सहकारी समिति"),
           _items("राहुल, प्रिया, अमित, सुनीता, विकास, अंजलि, राजेश, पूजा"),
           _items("शर्मा, वर्मा, सिंह, गुप्ता, यादव, कुमार, मिश्रा, पटेल"), False, " ",
           (("लखनऊ", "उत्तर प्रदेश", "2260##"), ("जयपुर", "राजस्थान", "3020##"),
            ("भोपाल", "मध्य प्रदेश", "4620##")),
           _items("{n} गांधी मार्ग, {n} स्टेशन रोड, {n} नेहरू नगर"), ("द्वितीय तल",)),
)

REGISTRARS: tuple[RegistrarSeed, ...] = (
    RegistrarSeed(1234, "Cooperative Names Registrar Ltd", "coopnames.example",
                  ("7 Toad Lane",), "Manchester", "Greater Manchester", "M4 4BE", "GB",
                  "+44.1614960100", "+44.1614960101", "+44.1614960199",
                  _utc(2002, 1, 30, 9), _utc(2025, 6, 2, 10), 30, True),
    RegistrarSeed(1456, "Genossenschaftliche Domains eG", "genodomains.example",
                  ("Ballindamm 12",), "Hamburg", None, "20095", "DE",
                  "+49.4087654320", None, "+49.4087654329", _utc(2003, 4, 14, 8), None, 15, True),
    RegistrarSeed(2031, "Registre Coopératif SAS", "registre-cooperatif.example",
                  ("18 rue de la Charité",), "Lyon", None, "69002", "FR",
                  "+33.478123400", "+33.478123401", "+33.478123499", _utc(2004, 9, 1, 7),
                  _utc(2024, 11, 20, 15, 30), 12, True),
    RegistrarSeed(2288, "Dominios Cooperativos S. Coop.", "dominios-coop.example",
                  ("Calle Arrasate 3", "Planta 2"), "Bilbao", "Bizkaia", "48001", "ES",
                  "+34.944123400", None, "+34.944123499", _utc(2006, 3, 3, 11), None, 12, True),
    RegistrarSeed(3105, "Prairie Co-op Domains Inc.", "prairiecoopdomains.example",
                  ("220 Pioneer Avenue", "Floor 4"), "Saskatoon", "SK", "S7K 1J5", "CA",
                  "+1.3065550140", "+1.3065550141", "+1.3065550199", _utc(2009, 7, 21, 16),
                  _utc(2026, 2, 11, 9, 45), 10, True),
    RegistrarSeed(3412, "Kyodo Registry K.K.", "kyodo-registry.example",
                  ("大手町1-6-1",), "千代田区", "東京都", "100-0004", "JP",
                  "+81.352001200", None, "+81.352001299", _utc(2012, 10, 5, 2), None, 8, True),
    RegistrarSeed(3777, "Main Street Registrar LLC", "mainstreet-registrar.example",
                  ("400 Nicollet Mall", "Floor 6"), "Minneapolis", "MN", "55401", "US",
                  "+1.6125550177", None, "+1.6125550199", _utc(2014, 5, 19, 14), None, 10, True),
    RegistrarSeed(4021, "Rete Cooperativa Domini S.r.l.", "retecoop.example",
                  ("Via dell'Indipendenza 44",), "Bologna", "BO", "40121", "IT",
                  "+39.0512345600", "+39.0512345601", "+39.0512345699", _utc(2017, 2, 8, 10),
                  None, 6, True),
    RegistrarSeed(9999, "dotCoop Registry Operations", "dotcoop-registry.example",
                  ("1401 New York Avenue NW", "11th Floor"), "Washington", "DC", "20005", "US",
                  "+1.2025550100", None, "+1.2025550111", _utc(2001, 11, 1, 12), None, 1, False),
)

# Provider addresses lie outside every locale's cities, streets and postcode shapes, so a
# NOC's published address never repeats a value some registrant withholds.
DNS_PROVIDERS: tuple[DnsProvider, ...] = (
    DnsProvider("DNS Provider Network Inc.", "DNS Operations", ("500 Capitol Mall",),
                "Sacramento", "CA", "95814", "US", "+1.9165550123", "noc@dnsprovider.test",
                ("ns1.dnsprovider.net", "ns2.dnsprovider.net", "ns3.dnsprovider.net",
                 "ns4.dnsprovider.net"), 3777, _utc(2003, 2, 17, 12)),
    DnsProvider("Hosting Co-operative Ltd", "Hostmaster", ("9 Albert Street",), "Hebden Bridge",
                "West Yorkshire", "HX7 8AD", "GB", "+44.1422845678",
                "hostmaster@hosting-coop.test",
                ("a.ns.hosting-coop.org", "b.ns.hosting-coop.org", "c.ns.hosting-coop.org"), 1234,
                _utc(2005, 8, 8, 9)),
    DnsProvider("Genossenschafts-Hosting eG", "Technik", ("Königsbrücker Straße 3",), "Dresden",
                "Sachsen", "01097", "DE", "+49.3518877660", "technik@geno-hosting.test",
                ("ns1.geno-hosting.de", "ns2.geno-hosting.de"), 1456, _utc(2007, 1, 15, 8)),
    DnsProvider("Hébergement Coopératif SCIC", "Support technique", ("5 boulevard Foch",),
                "Angers", None, "49100", "FR", "+33.241887766", "support@hebergement-coop.test",
                ("dns1.hebergement-coop.fr", "dns2.hebergement-coop.fr"), 2031,
                _utc(2010, 3, 29, 10)),
    DnsProvider("Alojamiento Cooperativo S. Coop.", "Soporte DNS", ("Calle Enmedio 21",),
                "Castellón de la Plana", "Castellón", "12001", "ES", "+34.964887766",
                "dns@alojamiento-coop.test",
                ("ns1.alojamiento-coop.es", "ns2.alojamiento-coop.es"), 2288,
                _utc(2011, 6, 6, 9)),
    DnsProvider("Cloud Co-op Ltd", "Network Operations", ("77 Queen Street North",),
                "Kitchener", "ON", "N2H 2H3", "CA", "+1.5195550188", "noc@cloudcoop.test",
                ("ns1.cloudcoop.ca", "ns2.cloudcoop.ca", "ns3.cloudcoop.ca"), 3105,
                _utc(2013, 9, 12, 17)),
    DnsProvider("協同クラウド株式会社", "ネットワーク運用", ("白銀町3-9",), "姫路市", "兵庫県",
                "670-0902", "JP", "+81.792876655", "noc@kyodo-cloud.test",
                ("ns1.kyodo-cloud.jp", "ns2.kyodo-cloud.jp"), 3412, _utc(2015, 4, 1, 0)),
    DnsProvider("Rete Hosting Soc. Coop.", "Assistenza DNS", ("Via Farini 10",), "Parma", "PR",
                "43121", "IT", "+39.0521887766", "dns@retehosting.test",
                ("ns1.retehosting.it", "ns2.retehosting.it"), 4021, _utc(2018, 1, 22, 8)),
    DnsProvider("Anycast DNS Cooperative", "DNS Operations", ("300 First Avenue NE",),
                "Cedar Rapids", "IA", "52401", "US", "+1.3195550166", "ops@anycast-dns.test",
                ("ns-1.anycast-dns.net", "ns-2.anycast-dns.net", "ns-3.anycast-dns.net",
                 "ns-4.anycast-dns.net"), 3777, _utc(2016, 11, 30, 20)),
)

_SPONSOR_WORD = "Generic word reserved by the sponsor as a Community Name"
_REGISTRY_OPS = "Reserved for registry operations"
_ICANN = "Reserved by ICANN for the operation of the Internet (.coop agreement App. 6)"

RESERVED_NAMES: tuple[tuple[str, str, str], ...] = (
    *((f"{word}.coop", "sponsor", _SPONSOR_WORD) for word in (
        "housing", "bank", "insurance", "credit", "farm", "energy", "food", "dairy",
        "agriculture", "consumer", "worker", "retail", "health", "education", "cooperative",
        "co-op", "coop")),
    ("ica.coop", "sponsor", "Name of the International Co-operative Alliance"),
    ("ncba.coop", "sponsor", "Name of the sponsor, NCBA CLUSA"),
    *((f"{word}.coop", "registry", _REGISTRY_OPS) for word in (
        "nic", "whois", "www", "rdap", "registry")),
    *((f"{word}.coop", "icann", _ICANN) for word in (
        "aso", "gnso", "ccnso", "icann", "internic", "afrinic", "apnic", "arin", "lacnic", "ripe",
        "iab", "iana", "iana-servers", "iesg", "ietf", "irtf", "istf", "rfc-editor",
        "root-servers", "gtld-servers")),
)

SIBLING_SUFFIXES = ("shop", "online", "news", "members", "jobs", "events", "store", "info")
# Who confirmed the registrant is a cooperative; drawn uniformly, so the sponsor's own
# check is three times as common as a membership register's.
ELIGIBILITY_VERIFIERS = ("dotCoop Verification", "dotCoop Verification", "dotCoop Verification",
                         "ICA Membership Register")


# ---------------------------------------------------------------- names and people
LDH_LABEL: Final = re.compile(r"(?![a-z0-9]{2}--)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_FOLD: Final = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "æ": "ae", "œ": "oe"})
_LETTERS: Final = "ABCDEFGHJKLMNPRSTUVWXYZ"


@cache
def slug(text: str) -> str:
    """Lower-case NFC words joined by hyphens, without punctuation ("Val d'Orcia": val-d-orcia)."""
    text = re.sub(r"[\s'\u2019]+", "-", unicodedata.normalize("NFC", text.lower()))
    return re.sub(r"-{2,}", "-", re.sub(r"[.,\"()\u00ab\u00bb]", "", text)).strip("-")


def fold(text: str) -> str:
    """Latin text without diacritics, spelt as its speakers do in ASCII ('ü' -> 'ue')."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def domain_names(label: str) -> tuple[str, str | None] | None:
    """(ldh_name, unicode_name) under .coop for a lower-case NFC label; None if invalid."""
    if label.isascii():
        return (label + ".coop", None) if LDH_LABEL.fullmatch(label) else None
    try:  # IDNA 2008 (RFC 5891) without UTS 46 mapping: the label is already canonical
        a_label = idna.encode(label, uts46=False).decode("ascii")
    except idna.IDNAError:
        return None
    return a_label + ".coop", label + ".coop"


def draw_person(rng: random.Random, locale: Locale) -> tuple[str, str]:
    """A person's display name and a plausible e-mail local part."""
    given = rng.choice(locale.given)
    family = rng.choice(locale.family) if locale.family else ""
    parts = (family, given) if locale.family_first else (given, family)
    name = locale.name_separator.join(part for part in parts if part)
    local = re.sub(r"[^a-z0-9.]", "", fold(f"{given}.{family}".strip(".").lower())).strip(".")
    return name, local or rng.choice(("info", "office", "contact"))


def draw_postal_code(rng: random.Random, shape: str) -> str:
    """A postcode of the shape: '#' is a digit, '@' a capital letter."""
    return "".join(str(rng.randrange(10)) if char == "#" else
                   rng.choice(_LETTERS) if char == "@" else char for char in shape)


def draw_phone(rng: random.Random, locale: Locale) -> str:
    """An E.164a number, '+CC.NNNN', as EPP stores it (RFC 5733 §2.5)."""
    digits = locale.phone_digits
    return f"{locale.phone_prefix}{rng.randrange(10 ** (digits - 1), 10 ** digits)}"


# ---------------------------------------------------------------- statuses and dates
_DAY: Final = 86_400
_OLDEST: Final = datetime(2002, 2, 1, tzinfo=UTC)  # .coop opened for registration in 2002
_SERVER_LOCK: Final = ("serverDeleteProhibited", "serverTransferProhibited",
                       "serverUpdateProhibited")
_CLIENT_LOCK: Final = ("clientDeleteProhibited", "clientTransferProhibited",
                       "clientUpdateProhibited")
# (weight, EPP statuses, lifecycle): legal combinations only (RFC 5731 §2.3, RFC 3915 §3).
STATUS_PROFILES: Final[tuple[tuple[int, tuple[str, ...], str], ...]] = (
    (520, ("ok",), "registered"), (200, ("clientTransferProhibited",), "registered"),
    (90, _CLIENT_LOCK, "registered"), (15, _CLIENT_LOCK + _SERVER_LOCK, "registered"),
    (8, _SERVER_LOCK, "registered"), (12, ("clientHold",), "registered"),
    (5, ("clientHold", "clientTransferProhibited"), "registered"),
    (5, ("serverHold",), "registered"), (40, ("ok", "addPeriod"), "added"),
    (15, ("addPeriod", "clientTransferProhibited"), "added"),
    (25, ("ok", "autoRenewPeriod"), "auto_renewed"), (15, ("ok", "renewPeriod"), "renewed"),
    (15, ("ok", "transferPeriod"), "transferred"), (8, ("pendingTransfer",), "transfer_pending"),
    (12, ("pendingDelete", "redemptionPeriod"), "redemption"),
    (3, ("pendingDelete", "pendingRestore"), "restore"), (3, ("pendingDelete",), "purge"),
)
STATUS_WEIGHTS: Final = tuple(accumulate(weight for weight, _, _ in STATUS_PROFILES))
DISCLOSE_CHOICES: Final = ((), ("name", "org", "addr", "voice", "fax", "email"),
                           ("name", "email"), ("org", "addr"), ("name", "voice", "email"),
                           ("email",), ("org", "addr", "voice", "fax"))
DISCLOSE_WEIGHTS: Final = tuple(accumulate((75, 10, 4, 4, 3, 2, 2)))  # most withhold all


def days_ago(rng: random.Random, low_days: float, high_days: float) -> datetime:
    """An instant between ``low_days`` and ``high_days`` before ``LATEST_GENERATED``."""
    seconds = rng.randrange(int(low_days * _DAY), int(high_days * _DAY))
    return LATEST_GENERATED - timedelta(seconds=seconds)


def between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    return start + timedelta(seconds=rng.randrange(int((end - start).total_seconds()) + 1))


def _add_years(instant: datetime, years: int) -> datetime:
    try:
        return instant.replace(year=instant.year + years)
    except ValueError:  # 29 February
        return instant.replace(year=instant.year + years, day=28)


@dataclass(slots=True)
class DomainDates:
    created: datetime
    expires: datetime
    updated: datetime | None = None
    transferred: datetime | None = None


def _registered(rng: random.Random) -> DomainDates:
    created = days_ago(rng, 60, (SAMPLE_EPOCH - _OLDEST).days)
    term = SAMPLE_EPOCH.year - created.year
    if _add_years(created, term) <= SAMPLE_EPOCH:
        term += 1
    dates = DomainDates(created, _add_years(created, term + rng.choice((0, 0, 0, 1, 1, 2, 4))))
    if rng.random() < 0.08:
        dates.transferred = between(rng, created, LATEST_GENERATED)
    if dates.transferred or rng.random() < 0.6:
        dates.updated = between(rng, dates.transferred or created, LATEST_GENERATED)
    return dates


def _added(rng: random.Random, dates: DomainDates) -> None:
    dates.created = days_ago(rng, 0, 5)
    dates.expires, dates.updated, dates.transferred = _add_years(dates.created, 1), None, None


def _auto_renewed(rng: random.Random, dates: DomainDates) -> None:
    anniversary = days_ago(rng, 1, 44)
    dates.created = _add_years(anniversary, -rng.randint(1, 15))
    dates.expires, dates.updated, dates.transferred = _add_years(anniversary, 1), anniversary, None


def _renewed(rng: random.Random, dates: DomainDates) -> None:
    dates.updated, dates.expires = days_ago(rng, 0, 5), _add_years(dates.expires, 1)


def _transferred(rng: random.Random, dates: DomainDates) -> None:
    dates.transferred = dates.updated = days_ago(rng, 0, 5)
    dates.expires = _add_years(dates.expires, 1)


def _deleted(rng: random.Random, dates: DomainDates, expired: tuple[int, int],
             deleted: tuple[int, int]) -> None:
    dates.expires = days_ago(rng, *expired)
    dates.created = _add_years(dates.expires, -rng.randint(1, 12))
    dates.updated, dates.transferred = days_ago(rng, *deleted), None


_LIFECYCLES: Final[dict[str, Callable[[random.Random, DomainDates], None]]] = {
    "registered": lambda rng, dates: None,
    "added": _added,  # RFC 3915 §3.1: the grace periods last 5 days, redemption 30
    "auto_renewed": _auto_renewed,
    "renewed": _renewed,
    "transferred": _transferred,
    "transfer_pending": lambda rng, dates: setattr(dates, "updated", days_ago(rng, 0, 5)),
    "redemption": lambda rng, dates: _deleted(rng, dates, (31, 75), (1, 29)),
    "restore": lambda rng, dates: _deleted(rng, dates, (31, 75), (0, 6)),
    "purge": lambda rng, dates: _deleted(rng, dates, (36, 80), (30, 35)),
}


def draw_domain_dates(rng: random.Random, lifecycle: str) -> DomainDates:
    """Creation, update, expiry and transfer dates that fit the status profile's lifecycle."""
    dates = _registered(rng)
    _LIFECYCLES[lifecycle](rng, dates)
    return dates


# ---------------------------------------------------------------- DNS
_GLUE_V4: Final = ("192.0.2", "198.51.100", "203.0.113")  # RFC 5737
_GLUE_V6: Final = 0x20010DB8 << 96  # 2001:db8::/32, RFC 3849


def draw_glue_addresses(rng: random.Random, number: int) -> list[str]:
    """An IPv4 address and sometimes an IPv6 one for host ns<number>, in canonical text."""
    addresses = [f"{rng.choice(_GLUE_V4)}.{rng.randint(1, 254)}"]
    if rng.random() < 0.4:
        addresses.append(str(ipaddress.IPv6Address(_GLUE_V6 | rng.getrandbits(32) << 64 | number)))
    return addresses


def draw_ds_records(rng: random.Random) -> list[tuple[int, int, int, str]]:
    """(key tag, algorithm, digest type, upper-case hex digest) of one or two DS records."""
    algorithm = rng.choices((13, 8, 15), cum_weights=(55, 90, 100))[0]
    first = (rng.randint(1, 65535), 2 if rng.random() < 0.85 else 4)
    keys = [first]
    if rng.random() < 0.3:  # a second digest of the same key, or a KSK rollover
        same_key = rng.random() < 0.5
        keys.append((first[0], 6 - first[1]) if same_key else (rng.randint(1, 65535), first[1]))
    records = []
    for key_tag, digest_type in keys:
        bits = 256 if digest_type == 2 else 384  # SHA-256 (RFC 4509), SHA-384 (RFC 6605)
        records.append((key_tag, algorithm, digest_type, f"{rng.getrandbits(bits):0{bits // 4}X}"))
    return records
