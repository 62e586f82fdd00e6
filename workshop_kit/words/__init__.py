"""The wording tables of :mod:`workshop_kit.i18n`, one module per subject.

Each module holds one dictionary, key -> {"fr": ..., "en": ..., "ar": ...}: :mod:`.common` (lists and units),
:mod:`.booth` (the booth's pages), :mod:`.classroom` (the classroom's pages), :mod:`.errors` (every error sentence, the allowed values and the reasons),
:mod:`.reports` (printability verdicts, audio summaries, the doctor) and :mod:`.figures` (words drawn into
pictures). :data:`workshop_kit.i18n.STRINGS` gathers them; a key is written once.

Fields are written ``{name}`` (``str.format`` syntax); every language of a key uses the same fields. A list is
joined with commas (``{items}``) or semicolons (``{items:;}``), as each language writes them. The English of
an ``allowed.*`` or ``reason.*`` key is also how a caller that passes English text is understood
(:func:`workshop_kit.i18n.recognise`), so keep it as the kit's code writes it.
"""
