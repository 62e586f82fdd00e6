"""User-interface wording in French (the default), English and Arabic: the one place for what the booth says.

Every string the booth shows comes from :data:`STRINGS` through :func:`t`; the names of cities, palettes, scales,
rhythms, styles and vessels come from the ``label`` dictionaries of the package's own presets, read with
:func:`label_of`.

>>> from workshop_kit.i18n import t
>>> t("tab.music", "fr"), t("tab.music", "en")
('Musique', 'Music')
"""

from __future__ import annotations

from collections.abc import Mapping

from .validation import check_choice

__all__ = [
    "LANGS", "DEFAULT_LANG", "LANG_NAMES", "RTL_LANGS", "STRINGS",
    "check_lang", "is_rtl", "label_of", "option_label", "t",
]

LANGS: tuple[str, ...] = ("fr", "en", "ar")
"""Languages of the interface, the default first."""

DEFAULT_LANG = "fr"

LANG_NAMES: dict[str, str] = {"fr": "Français", "en": "English", "ar": "العربية"}
"""Each language named in itself, for the language switch."""

RTL_LANGS: frozenset[str] = frozenset({"ar"})

STRINGS: dict[str, dict[str, str]] = {
    # The page
    "app.title": {
        "fr": "Atelier IA — musique, image et 3D du Maroc",
        "en": "AI workshop — music, images and 3D from Morocco",
        "ar": "ورشة الذكاء الاصطناعي — موسيقى وصور ومجسمات من المغرب",
    },
    "app.intro": {
        "fr": ("Touchez une ville (elle règle les trois onglets), puis créez. Chaque création porte une graine : "
               "notez-la pour la refaire à l'identique."),
        "en": ("Tap a city (it sets all three tabs), then create. Every piece has a seed: note it down to make the "
               "very same piece again."),
        "ar": "اختر مدينة (تضبط التبويبات الثلاثة) ثم أبدع. لكل عمل بذرة: احتفظ بها لتعيد صنع العمل نفسه.",
    },
    "lang.label": {"fr": "Langue", "en": "Language", "ar": "اللغة"},
    "city.label": {"fr": "Ville", "en": "City", "ar": "المدينة"},
    # Tabs
    "tab.music": {"fr": "Musique", "en": "Music", "ar": "موسيقى"},
    "tab.image": {"fr": "Image", "en": "Image", "ar": "صورة"},
    "tab.mesh": {"fr": "3D", "en": "3D", "ar": "ثلاثي الأبعاد"},
    # Shared fields
    "seed.label": {"fr": "Graine", "en": "Seed", "ar": "البذرة"},
    "seed.info": {
        "fr": "Vide : au hasard. Un nombre : le même résultat.",
        "en": "Empty: random. A number: the same result.",
        "ar": "فارغة: عشوائية. عدد: النتيجة نفسها.",
    },
    "seed.placeholder": {"fr": "au hasard", "en": "random", "ar": "عشوائية"},
    "seed.used": {"fr": "Graine utilisée", "en": "Seed used", "ar": "البذرة المستعملة"},
    "field.palette": {"fr": "Palette de couleurs", "en": "Colour palette", "ar": "لوحة الألوان"},
    "engine.label": {"fr": "Moteur", "en": "Engine", "ar": "المحرك"},
    "field.palette.none": {"fr": "Au hasard (selon la graine)", "en": "Any (drawn from the seed)",
                           "ar": "عشوائية (حسب البذرة)"},
    "choice.none": {"fr": "Aucun", "en": "None", "ar": "لا شيء"},
    "field.prompt": {
        "fr": "Décrivez ce que vous voulez (en anglais de préférence)",
        "en": "Describe what you want",
        "ar": "صف ما تريد (بالإنجليزية إن أمكن)",
    },
    # Music
    "field.scale": {"fr": "Gamme ou maqâm", "en": "Scale or maqam", "ar": "السلم أو المقام"},
    "field.rhythm": {"fr": "Rythme", "en": "Rhythm", "ar": "الإيقاع"},
    "field.tempo": {"fr": "Tempo (battements/min)", "en": "Tempo (beats/min)", "ar": "السرعة (نبضة/دقيقة)"},
    "field.bars": {"fr": "Nombre de mesures", "en": "Number of bars", "ar": "عدد المقاييس"},
    "field.temperature": {"fr": "Audace (température)", "en": "Boldness (temperature)",
                          "ar": "الجرأة (درجة الحرارة)"},
    "field.temperature.info": {
        "fr": "Basse : sage et répétitif. Haute : plus surprenant.",
        "en": "Low: safe and repetitive. High: more surprising.",
        "ar": "منخفضة: هادئ ومتكرر. مرتفعة: أكثر مفاجأة.",
    },
    "music.button": {"fr": "Composer", "en": "Compose", "ar": "ألّف"},
    "music.audio": {"fr": "Écouter", "en": "Listen", "ar": "استمع"},
    "music.roll": {"fr": "Piano roll : chaque note, une couleur par instrument",
                   "en": "Piano roll: every note, one colour per instrument",
                   "ar": "لفافة البيانو: كل نغمة، ولون لكل آلة"},
    "music.spectrogram": {"fr": "Spectrogramme : le son en couleurs (grave en bas, aigu en haut)",
                          "en": "Spectrogram: the sound in colours (low at the bottom, high at the top)",
                          "ar": "المخطط الطيفي: الصوت بالألوان (الغليظ في الأسفل والحاد في الأعلى)"},
    "music.summary": {"fr": "Ce que la machine entend", "en": "What the machine hears", "ar": "ما تسمعه الآلة"},
    "music.files": {"fr": "À emporter : WAV et MIDI", "en": "Take it home: WAV and MIDI",
                    "ar": "خذه معك: WAV و MIDI"},
    "analyse.title": {"fr": "Analysez votre propre son", "en": "Analyse your own sound", "ar": "حلّل صوتك الخاص"},
    "analyse.input": {
        "fr": "Votre son : WAV, FLAC, OGG ou MP3, 20 Mo et 60 secondes au plus",
        "en": "Your sound: WAV, FLAC, OGG or MP3, at most 20 MB and 60 seconds",
        "ar": "صوتك: WAV أو FLAC أو OGG أو MP3، بحد أقصى 20 ميغابايت و60 ثانية",
    },
    "analyse.empty": {
        "fr": "Déposez d'abord un fichier son (ou enregistrez-vous).",
        "en": "Upload a sound file first (or record yourself).",
        "ar": "ارفع ملفًا صوتيًا أولًا (أو سجّل صوتك).",
    },
    # Image
    "field.style": {"fr": "Style", "en": "Style", "ar": "الأسلوب"},
    "field.motif": {"fr": "Famille de motifs", "en": "Motif family", "ar": "عائلة الزخرفة"},
    "field.size": {"fr": "Taille (pixels)", "en": "Size (pixels)", "ar": "الحجم (بكسل)"},
    "image.button": {"fr": "Créer l'image", "en": "Make the picture", "ar": "اصنع الصورة"},
    "image.output": {"fr": "Votre image", "en": "Your picture", "ar": "صورتك"},
    "image.filmstrip": {"fr": "Du bruit au motif : les étapes du débruitage",
                        "en": "From noise to motif: the denoising steps",
                        "ar": "من الضجيج إلى الزخرفة: مراحل إزالة الضجيج"},
    "image.notes": {"fr": "À savoir", "en": "Good to know", "ar": "للعلم"},
    "image.withheld": {
        "fr": "Le filtre de sécurité a retenu cette image. Essayez une autre description ou une autre graine.",
        "en": "The safety filter withheld this picture. Try another description or another seed.",
        "ar": "حجب مرشح الأمان هذه الصورة. جرّب وصفًا آخر أو بذرة أخرى.",
    },
    "image.files": {"fr": "À emporter : PNG", "en": "Take it home: PNG", "ar": "خذها معك: PNG"},
    # 3D
    "mesh.engine": {"fr": "Objet", "en": "Object", "ar": "القطعة"},
    "field.preset": {"fr": "Forme du vase", "en": "Pot shape", "ar": "شكل الإناء"},
    "field.band_motif": {"fr": "Bande décorée en relief", "en": "Embossed band", "ar": "شريط مزخرف بارز"},
    "field.band_motif.none": {"fr": "Aucune (vase lisse)", "en": "None (smooth pot)", "ar": "بدون (إناء أملس)"},
    "field.mesh.motif": {"fr": "Motif", "en": "Motif", "ar": "الزخرفة"},
    "field.picture": {
        "fr": "Ou votre image à sculpter : PNG, JPEG ou WebP, 20 Mo au plus",
        "en": "Or your own picture to carve: PNG, JPEG or WebP, at most 20 MB",
        "ar": "أو صورتك للنحت: PNG أو JPEG أو WebP، بحد أقصى 20 ميغابايت",
    },
    "field.preset_b": {"fr": "Second vase", "en": "Second pot", "ar": "الإناء الثاني"},
    "field.mix": {"fr": "Mélange : 0 le premier vase, 1 le second", "en": "Blend: 0 the first pot, 1 the second",
                 "ar": "المزج: 0 الإناء الأول، 1 الثاني"},
    "field.size_mm": {"fr": "Taille (mm) : hauteur, ou largeur d'un relief ou d'un carreau",
                  "en": "Size (mm): height, or width of a relief or a tile",
                  "ar": "المقاس (مم): الارتفاع، أو عرض النقش أو البلاطة"},
    "field.glaze": {"fr": "Émail (couleurs)", "en": "Glaze (colours)", "ar": "الطلاء (الألوان)"},
    "mesh.button": {"fr": "Créer l'objet", "en": "Make the object", "ar": "اصنع القطعة"},
    "mesh.output": {"fr": "Vue 3D (faites-la tourner)", "en": "3D view (spin it around)",
                    "ar": "عرض ثلاثي الأبعاد (أدِره)"},
    "mesh.preview": {"fr": "Aperçu", "en": "Preview", "ar": "معاينة"},
    "mesh.verdict": {"fr": "Impression 3D", "en": "3D printing", "ar": "الطباعة ثلاثية الأبعاد"},
    "mesh.ready": {"fr": "prêt à imprimer", "en": "ready to print", "ar": "جاهز للطباعة"},
    "mesh.to_fix": {"fr": "à corriger", "en": "to fix", "ar": "يحتاج إلى تصحيح"},
    "mesh.files": {"fr": "À emporter : GLB et STL (impression 3D)", "en": "Take it home: GLB and STL (3D printing)",
                   "ar": "خذها معك: GLB و STL (طباعة ثلاثية الأبعاد)"},
    "mesh.estimate": {"fr": "environ {n} s par objet", "en": "about {n} s per object", "ar": "حوالي {n} ث لكل قطعة"},
    # Engines, their tiers and licences
    "engine.rules": {"fr": "Règles de composition", "en": "Composition rules", "ar": "قواعد التأليف"},
    "engine.melody-model": {"fr": "Modèle de mélodies (appris)", "en": "Melody model (learnt)",
                            "ar": "نموذج الألحان (متعلَّم)"},
    "engine.musicgen": {"fr": "MusicGen (texte → musique)", "en": "MusicGen (text → music)",
                        "ar": "MusicGen (نص ← موسيقى)"},
    "engine.cppn": {"fr": "Art génératif (CPPN)", "en": "Generative art (CPPN)", "ar": "فن توليدي (CPPN)"},
    "engine.motifs": {"fr": "Motifs exacts", "en": "Exact motifs", "ar": "زخارف دقيقة"},
    "engine.motif-diffusion": {"fr": "Diffusion de motifs (appris)", "en": "Motif diffusion (learnt)",
                               "ar": "انتشار الزخارف (متعلَّم)"},
    "engine.sd-turbo": {"fr": "SD-Turbo (texte → image)", "en": "SD-Turbo (text → picture)",
                        "ar": "SD-Turbo (نص ← صورة)"},
    "engine.lathe": {"fr": "Poterie tournée", "en": "Turned pottery", "ar": "فخار مخروط"},
    "engine.lantern": {"fr": "Lanterne ajourée", "en": "Pierced lantern", "ar": "فانوس مثقوب"},
    "engine.relief": {"fr": "Bas-relief", "en": "Bas-relief", "ar": "نقش بارز"},
    "engine.tiles": {"fr": "Carreaux de zellige", "en": "Zellige tiles", "ar": "قطع الزليج"},
    "engine.shape-space": {"fr": "Mélange de deux vases (appris)", "en": "Blend of two pots (learnt)",
                           "ar": "مزج إناءين (متعلَّم)"},
    "engine.shap-e": {"fr": "Shap-E (texte → 3D)", "en": "Shap-E (text → 3D)", "ar": "Shap-E (نص ← مجسم)"},
    "tier.embedded": {"fr": "intégré", "en": "embedded", "ar": "مدمج"},
    "tier.pretrained": {"fr": "pré-entraîné", "en": "pretrained", "ar": "مدرَّب مسبقًا"},
    "licence.non_commercial": {"fr": "usage non commercial", "en": "non-commercial use",
                               "ar": "للاستعمال غير التجاري"},
    # About
    "about.title": {"fr": "À propos", "en": "About", "ar": "حول"},
    "about.engines": {"fr": "Moteurs de cette borne", "en": "Engines on this booth", "ar": "محركات هذا الكشك"},
    "about.tiers": {
        "fr": ("*Intégré* : petit modèle ou algorithme livré avec le kit, entraîné par lui, sans téléchargement. "
               "*Pré-entraîné* : modèle ouvert connu, utilisé seulement si ses poids sont sur cette machine."),
        "en": ("*Embedded*: a small model or algorithm shipped with the kit and trained by it, nothing to download. "
               "*Pretrained*: a well-known open model, used only when its weights are on this machine."),
        "ar": ("*مدمج*: نموذج صغير أو خوارزمية مرفقة بالطقم ومدرَّبة به، دون تنزيل. "
               "*مدرَّب مسبقًا*: نموذج مفتوح معروف، لا يُستعمل إلا إذا كانت أوزانه على هذا الجهاز."),
    },
    "about.models": {"fr": "Modèles pré-entraînés connus du kit", "en": "Pretrained models the kit knows",
                     "ar": "النماذج المدرَّبة مسبقًا التي يعرفها الطقم"},
    "about.model": {"fr": "Modèle", "en": "Model", "ar": "النموذج"},
    "about.licence": {"fr": "Licence", "en": "Licence", "ar": "الترخيص"},
    "about.commercial": {"fr": "Usage commercial", "en": "Commercial use", "ar": "الاستعمال التجاري"},
    "about.here": {"fr": "Sur cette machine", "en": "On this machine", "ar": "على هذا الجهاز"},
    "about.yes": {"fr": "oui", "en": "yes", "ar": "نعم"},
    "about.no": {"fr": "non", "en": "no", "ar": "لا"},
    "about.offline": {
        "fr": "Tout est calculé sur cet ordinateur, hors ligne : rien de ce que vous créez ne part sur internet.",
        "en": "Everything is computed on this computer, offline: nothing you make goes to the internet.",
        "ar": "كل شيء يُحسب على هذا الحاسوب دون اتصال: لا شيء مما تصنعه يُرسل إلى الإنترنت.",
    },
    # Names of engine options whose engine carries no label in these languages (others show the engine's label)
    "style.flow": {"fr": "Formes fluides", "en": "Flowing shapes", "ar": "أشكال منسابة"},
    "style.rosette": {"fr": "Rosace de zellige", "en": "Zellige rosette", "ar": "نجمة الزليج"},
    "style.tile": {"fr": "Carreau qui se répète", "en": "Repeating tile", "ar": "بلاطة متكررة"},
    # Errors
    "error.title": {"fr": "Réglage refusé", "en": "Setting not accepted", "ar": "إعداد غير مقبول"},
    "error.unexpected": {
        "fr": "Un problème est survenu. Réessayez, ou changez de graine.",
        "en": "Something went wrong. Try again, or change the seed.",
        "ar": "حدث خطأ. أعد المحاولة أو غيّر البذرة.",
    },
    "error.melody_no_note": {
        "fr": "Le modèle de mélodies n'a écrit aucune note, même en reprenant plusieurs fois. Changez de graine ou "
              "de température, ou donnez-lui un motif à continuer.",
        "en": "The melody model wrote no note, even after trying again several times. Change the seed or the "
              "temperature, or give it a motif to continue.",
        "ar": "لم يكتب نموذج الألحان أي نغمة حتى بعد إعادة المحاولة عدة مرات. غيّر البذرة أو درجة الحرارة، أو أعطه "
              "لحنًا ليكمله.",
    },
}


def check_lang(lang: str) -> str:
    """Return ``lang`` as one of :data:`LANGS`.

    Parameters
    ----------
    lang : str
        A language code, case-insensitive.

    Returns
    -------
    str
        The code as written in :data:`LANGS`.

    Raises
    ------
    workshop_kit.errors.ParameterError
        If ``lang`` is not one of :data:`LANGS`.
    """
    return check_choice("lang", lang, LANGS)


def is_rtl(lang: str) -> bool:
    """Whether ``lang`` is written right to left."""
    return check_lang(lang) in RTL_LANGS


def t(key: str, lang: str = DEFAULT_LANG) -> str:
    """Return the wording of ``key`` in ``lang``.

    Parameters
    ----------
    key : str
        A key of :data:`STRINGS`, such as ``"tab.music"``.
    lang : str, default "fr"
        One of :data:`LANGS`.

    Returns
    -------
    str
        The wording; French when the key has no wording in ``lang``.

    Raises
    ------
    KeyError
        If ``key`` is not in :data:`STRINGS`.
    workshop_kit.errors.ParameterError
        If ``lang`` is not one of :data:`LANGS`.

    Examples
    --------
    >>> t("tab.image", "ar")
    'صورة'
    """
    entry = STRINGS[key]
    return entry.get(check_lang(lang)) or entry[DEFAULT_LANG]


def label_of(item: object, lang: str = DEFAULT_LANG, default: str | None = None) -> str:
    """Return the label of a preset, palette, scale, rhythm, style or vessel in ``lang``.

    Parameters
    ----------
    item : object
        An object with a ``label`` attribute, a mapping with a ``"label"`` key, or the label mapping itself
        (language code to text).
    lang : str, default "fr"
        One of :data:`LANGS`.
    default : str, optional
        What to return when ``item`` carries no label.

    Returns
    -------
    str
        The label in ``lang``, else in French, else in English, else ``default`` (or ``str(item)``).

    Examples
    --------
    >>> label_of({"fr": "Fès", "en": "Fes", "ar": "فاس"}, "ar")
    'فاس'
    """
    lang = check_lang(lang)
    labels = getattr(item, "label", None)
    if labels is None and isinstance(item, Mapping):
        labels = item.get("label", item)
    if isinstance(labels, str):
        return labels
    if isinstance(labels, Mapping):
        for code in (lang, DEFAULT_LANG, "en"):
            text = labels.get(code)
            if isinstance(text, str) and text:
                return text
    return default if default is not None else str(item)


def option_label(kind: str, name: str, item: object = None, lang: str = DEFAULT_LANG) -> str:
    """Return the name of an engine option as the interface shows it.

    Parameters
    ----------
    kind : str
        The kind of option: ``"style"``, ``"scale"``, ``"rhythm"``, ``"vessel"``, ``"palette"``, ``"city"`` …
    name : str
        The option's value, such as ``"bayati"``.
    item : object, optional
        The engine's own description of the option; its ``label`` is used when :data:`STRINGS` has no
        ``"<kind>.<name>"`` entry.
    lang : str, default "fr"
        One of :data:`LANGS`.

    Returns
    -------
    str
        The wording from :data:`STRINGS`, else the engine's label, else ``name`` itself.

    Examples
    --------
    >>> option_label("style", "rosette", lang="en")
    'Zellige rosette'
    >>> option_label("vessel", "jar", {"label": {"fr": "Jarre", "en": "Jar"}}, lang="fr")
    'Jarre'
    """
    key = f"{kind}.{name}"
    if key in STRINGS:
        return t(key, lang)
    if item is None:
        check_lang(lang)
        return name
    return label_of(item, lang, default=name)
