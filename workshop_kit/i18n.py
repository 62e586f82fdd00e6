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
        "fr": ("Touchez une ville, puis créez. Chaque création porte une graine : "
               "notez-la pour la refaire à l'identique."),
        "en": "Tap a city, then create. Every piece has a seed: note it down to make the very same piece again.",
        "ar": "اختر مدينة ثم أبدع. لكل عمل بذرة: احتفظ بها لتعيد صنع العمل نفسه.",
    },
    "lang.label": {"fr": "Langue", "en": "Language", "ar": "اللغة"},
    "city.label": {"fr": "Ville", "en": "City", "ar": "المدينة"},
    "city.info": {
        "fr": "Une touche remplit les réglages des trois onglets.",
        "en": "One tap fills the settings of all three tabs.",
        "ar": "لمسة واحدة تملأ إعدادات التبويبات الثلاثة.",
    },
    # Tabs
    "tab.music": {"fr": "Musique", "en": "Music", "ar": "موسيقى"},
    "tab.image": {"fr": "Image", "en": "Image", "ar": "صورة"},
    "tab.mesh": {"fr": "3D", "en": "3D", "ar": "ثلاثي الأبعاد"},
    # Shared fields
    "seed.label": {"fr": "Graine", "en": "Seed", "ar": "البذرة"},
    "seed.info": {
        "fr": "Vide : au hasard. Un nombre entier (0 compris) : toujours le même résultat.",
        "en": "Empty: random. A whole number (0 included): always the same result.",
        "ar": "فارغة: عشوائية. عدد صحيح (بما فيه 0): النتيجة نفسها دائمًا.",
    },
    "seed.placeholder": {"fr": "au hasard", "en": "random", "ar": "عشوائية"},
    "seed.used": {"fr": "Graine utilisée", "en": "Seed used", "ar": "البذرة المستعملة"},
    "palette.label": {"fr": "Palette de couleurs", "en": "Colour palette", "ar": "لوحة الألوان"},
    # Music
    "music.scale": {"fr": "Gamme ou maqâm", "en": "Scale or maqam", "ar": "السلم أو المقام"},
    "music.rhythm": {"fr": "Rythme", "en": "Rhythm", "ar": "الإيقاع"},
    "music.tempo": {"fr": "Tempo (battements par minute)", "en": "Tempo (beats per minute)",
                    "ar": "السرعة (نبضة في الدقيقة)"},
    "music.bars": {"fr": "Nombre de mesures", "en": "Number of bars", "ar": "عدد المقاييس"},
    "music.button": {"fr": "Composer", "en": "Compose", "ar": "ألّف"},
    "music.audio": {"fr": "Écouter", "en": "Listen", "ar": "استمع"},
    "music.files": {"fr": "À emporter : WAV et MIDI", "en": "Take it home: WAV and MIDI",
                    "ar": "خذه معك: WAV و MIDI"},
    # Image
    "image.style": {"fr": "Motif", "en": "Pattern", "ar": "الزخرفة"},
    "image.size": {"fr": "Taille (pixels)", "en": "Size (pixels)", "ar": "الحجم (بكسل)"},
    "image.button": {"fr": "Créer l'image", "en": "Make the picture", "ar": "اصنع الصورة"},
    "image.output": {"fr": "Votre image", "en": "Your picture", "ar": "صورتك"},
    "image.files": {"fr": "À emporter : PNG", "en": "Take it home: PNG", "ar": "خذها معك: PNG"},
    # 3D
    "mesh.vessel": {"fr": "Objet", "en": "Object", "ar": "القطعة"},
    "mesh.glaze": {"fr": "Émail (couleurs)", "en": "Glaze (colours)", "ar": "الطلاء (الألوان)"},
    "mesh.button": {"fr": "Tourner l'objet", "en": "Turn the object", "ar": "اخرط القطعة"},
    "mesh.output": {"fr": "Vue 3D (faites-la tourner)", "en": "3D view (spin it around)",
                    "ar": "عرض ثلاثي الأبعاد (أدِره)"},
    "mesh.files": {"fr": "À emporter : GLB et STL (impression 3D)", "en": "Take it home: GLB and STL (3D printing)",
                   "ar": "خذها معك: GLB و STL (طباعة ثلاثية الأبعاد)"},
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
