"""Gradio's input components, minus the checks Gradio makes in English: the kit checks every value itself.

Gradio refuses a choice outside a radio's choices or a number outside a slider's range with a message of its own,
in English, naming internal values, and writes a traceback to the log. The booth's fields take what the page sends
and hand it to the kit, which checks it against the registry and answers in the visitor's language (see
:func:`workshop_kit.booth.common.call`). Each class shows in the browser exactly as Gradio's own.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

__all__ = ["Checkbox", "Dropdown", "Radio", "Slider"]


class Radio(gr.Radio):
    is_template = True  # drawn by Gradio's own radio

    def preprocess(self, payload: Any) -> Any:
        return payload
    from typing import Callable, Literal, Sequence, Any, TYPE_CHECKING
    from gradio.blocks import Block
    if TYPE_CHECKING:
        from gradio.components import Timer
        from gradio.components.base import Component


class Dropdown(gr.Dropdown):
    is_template = True

    def preprocess(self, payload: Any) -> Any:
        return payload
    from typing import Callable, Literal, Sequence, Any, TYPE_CHECKING
    from gradio.blocks import Block
    if TYPE_CHECKING:
        from gradio.components import Timer
        from gradio.components.base import Component


class Slider(gr.Slider):
    is_template = True

    def preprocess(self, payload: Any) -> Any:
        return payload
    from typing import Callable, Literal, Sequence, Any, TYPE_CHECKING
    from gradio.blocks import Block
    if TYPE_CHECKING:
        from gradio.components import Timer
        from gradio.components.base import Component


class Checkbox(gr.Checkbox):
    is_template = True

    def preprocess(self, payload: Any) -> Any:
        return payload
    from typing import Callable, Literal, Sequence, Any, TYPE_CHECKING
    from gradio.blocks import Block
    if TYPE_CHECKING:
        from gradio.components import Timer
        from gradio.components.base import Component