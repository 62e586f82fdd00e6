"""MusicGen's decoding loop, lean, for a CPU: the network and the sampling of transformers' ``generate``, less work.

On a CPU nearly all of a MusicGen piece is its decoder's steps (50 a second of audio), and at batch 2 (the prompt,
and the empty prompt that classifier-free guidance needs) a step is bound by reading the weights, plus what runs
around them. transformers' loop spends about a third of a step outside the network's arithmetic (cache objects,
masks built each step, a growing cache copied on every step). :class:`LeanDecoder` runs the same layers with:

- a cache allocated once per piece, written in place (a step costs the same at the 250th as at the first);
- the cross-attention's keys and values computed once per piece (transformers does it too), read in place;
- the self-attention's three projections in one matrix, the four codebook heads in one, so a step makes fewer and
  larger products — each in int8 (PyTorch's dynamic quantization: weights per output channel, activations per
  call) with ``int8=True``.

The same layers also make :class:`StepNetwork`, the step with its cache passed in and given back, the form
OpenVINO converts into a network that keeps the cache itself and appends to it in place (:class:`OpenVinoSteps`;
``runtime="openvino"`` in :mod:`workshop_kit.music.musicgen`); the loop and its sampling stay here.

:class:`LeanMusicgen` keeps what the loop needs from the loaded model (text encoder, projection, EnCodec) and
samples as ``generate`` does, in its order: guidance, temperature, top-k, then one draw from torch's generator.
With ``int8=False`` it makes, for a seed, the very codes transformers makes (tested); with int8 the notes differ by
the rounding of the weights (the benchmark measures the logits' distance).
"""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any, Callable

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["LeanDecoder", "LeanMusicgen", "OpenVinoAudio", "OpenVinoSteps", "StepNetwork", "supported"]


def supported(model) -> str:
    """Why ``model`` cannot take the lean loop (``""``: it can): :func:`workshop_kit.music.musicgen.lean_refusal`
    on its configs, and it must be a ``MusicgenForConditionalGeneration``."""
    from .musicgen import lean_refusal

    if type(model).__name__ != "MusicgenForConditionalGeneration":
        return f"{type(model).__name__}"
    return lean_refusal(model.config.decoder.to_dict(), model.generation_config.to_dict())


def _default_top_k() -> int:
    """The top-k ``generate`` samples with when the model's generation config sets none."""
    from transformers import GenerationConfig

    defaults = getattr(GenerationConfig, "_get_default_generation_params", lambda: {})()
    return int(defaults.get("top_k", 50))


def _fused(*layers: nn.Linear) -> nn.Linear:
    """One linear layer doing the work of ``layers`` (same input, outputs side by side; no biases in MusicGen)."""
    weight = torch.cat([layer.weight.detach() for layer in layers])
    fused = nn.Linear(weight.shape[1], weight.shape[0], bias=False)
    fused.weight = nn.Parameter(weight, requires_grad=False)
    return fused


_DYNAMIC = torch.ops.quantized.linear_dynamic


def _quantize(module: nn.Module) -> None:
    """Every float linear layer of ``module`` to int8 in place (weights per output channel, activations per call)."""
    import warnings

    with warnings.catch_warnings():  # torch.ao.quantization announces its move to torchao; it still works
        warnings.simplefilter("ignore")
        from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

        quantize_dynamic(module, {nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8, inplace=True)


def _product(layer: nn.Module) -> Callable[[torch.Tensor], torch.Tensor]:
    """``layer``'s product (float or dynamically quantized) called without the module around it: a step makes 145
    of them, and a module's call costs as much as a small product's arithmetic."""
    packed = getattr(layer, "_packed_params", None)
    if packed is None:
        weight = layer.weight
        return lambda x: F.linear(x, weight)
    params = packed._packed_params  # what torch.ao's dynamic Linear calls (version 4: reduce_range, for fbgemm)
    return lambda x: _DYNAMIC(x, params, True)


def _norm(layer: nn.LayerNorm) -> Callable[[torch.Tensor], torch.Tensor]:
    shape, weight, bias, eps = layer.normalized_shape, layer.weight, layer.bias, layer.eps
    return lambda x: F.layer_norm(x, shape, weight, bias, eps)


class _Layer(nn.Module):
    def __init__(self, layer):
        super().__init__()
        attn, cross = layer.self_attn, layer.encoder_attn
        if attn.q_proj.bias is not None or cross.q_proj.bias is not None:
            raise ValueError("the lean loop expects MusicGen's attention without biases")
        self.heads, self.head_dim = attn.num_heads, attn.head_dim
        self.norm_attn, self.norm_cross, self.norm_ff = (layer.self_attn_layer_norm, layer.encoder_attn_layer_norm,
                                                         layer.final_layer_norm)
        self.qkv, self.out = _fused(attn.q_proj, attn.k_proj, attn.v_proj), attn.out_proj
        self.cross_q, self.cross_kv, self.cross_out = cross.q_proj, _fused(cross.k_proj, cross.v_proj), cross.out_proj
        self.fc1, self.fc2, self.act = layer.fc1, layer.fc2, layer.activation_fn
        self.bind()

    def bind(self) -> None:
        """Take the products and norms out of their modules (again after the modules are quantized)."""
        self._step = (_norm(self.norm_attn), _product(self.qkv), _product(self.out), _norm(self.norm_cross),
                      _product(self.cross_q), _product(self.cross_out), _norm(self.norm_ff), _product(self.fc1),
                      _product(self.fc2), self.act)

    def forward(self, h, keys, values, s: int, cross_k, cross_v):
        """One step, the cache ``keys``/``values`` ``(rows, heads, steps, head_dim)`` written in place at ``s``."""
        b, heads, head_dim = h.shape[0], self.heads, self.head_dim
        q, k, v = self._step[1](self._step[0](h)).view(b, 3, heads, head_dim).unbind(1)
        keys[:, :, s] = k
        values[:, :, s] = v
        attended = F.scaled_dot_product_attention(q[:, :, None], keys[:, :, :s + 1], values[:, :, :s + 1])
        return self._after_attention(h, attended, cross_k, cross_v)

    def forward_kept(self, h, past_k, past_v, rows, cross_k, cross_v):
        """One step, the cache passed in and given back longer by this step (the form a runtime that keeps the
        cache itself converts: :class:`StepNetwork`); the past read through ``rows`` (see there)."""
        b, heads, head_dim = h.shape[0], self.heads, self.head_dim
        q, k, v = self._step[1](self._step[0](h)).view(b, 1, 3, heads, head_dim).permute(2, 0, 3, 1, 4).unbind(0)
        keys = torch.cat([past_k.index_select(0, rows), k], 2)
        values = torch.cat([past_v.index_select(0, rows), v], 2)
        attended = F.scaled_dot_product_attention(q, keys, values)
        return self._after_attention(h, attended, cross_k, cross_v), keys, values

    def _after_attention(self, h, attended, cross_k, cross_v):
        """The rest of a step, from the self-attention's result ``(rows, heads, 1, head_dim)``."""
        _, _, out, norm_cross, cross_q, cross_out, norm_ff, fc1, fc2, act = self._step
        b, heads, head_dim = h.shape[0], self.heads, self.head_dim
        h = h + out(attended.reshape(b, 1, heads * head_dim))
        q = cross_q(norm_cross(h)).view(b, heads, 1, head_dim)
        h = h + cross_out(F.scaled_dot_product_attention(q, cross_k, cross_v).reshape(b, 1, heads * head_dim))
        return h + fc2(act(fc1(norm_ff(h))))

    def keep_cross_only(self) -> None:
        """Let go of everything but the cross-attention's keys and values (a runtime elsewhere runs the step)."""
        for name in ("qkv", "out", "cross_q", "cross_out", "fc1", "fc2"):
            delattr(self, name)
        self._step = ()


class LeanDecoder(nn.Module):
    """MusicGen's decoder for one step at a time, with its cache in place (see the module's notes).

    :meth:`start` takes the text's hidden states (after the projection) and the most steps to come; :meth:`step`
    takes the codes of the last step, ``(batch, codebooks, 1)``, and returns the logits ``(batch, codebooks,
    vocabulary)`` of the next. It takes the layers of ``decoder_lm``, which cannot run afterwards. With ``steps``
    (an :class:`OpenVinoSteps`), the step's network runs there, and only the embeddings and the cross-attention's
    keys and values stay here."""

    def __init__(self, decoder_lm, *, int8: bool = False, steps: OpenVinoSteps | None = None):
        super().__init__()
        self.outside = steps
        decoder = decoder_lm.model.decoder
        self.codebooks, self.vocab = decoder_lm.num_codebooks, decoder_lm.config.vocab_size
        self.embed = decoder.embed_tokens
        self.positions = decoder.embed_positions
        layers = []
        for i, layer in enumerate(decoder.layers):  # one layer at a time, so the load's peak is one layer's copies
            lean = _Layer(layer)
            if steps is not None:
                lean.keep_cross_only()
            if int8:
                _quantize(lean)
                if steps is None:
                    lean.bind()
            layers.append(lean)
            decoder.layers[i] = nn.Identity()  # the original's weights go: the lean layer holds its own
        self.layers = nn.ModuleList(layers)
        self.norm = decoder.layer_norm
        self.heads = _fused(*decoder_lm.lm_heads) if steps is None else None
        if int8:
            _quantize(self)
        self._cache: tuple[Any, ...] = ()

    def start(self, states: torch.Tensor, steps: int) -> None:
        """Make room for ``steps`` steps and compute each layer's cross-attention keys and values of ``states``."""
        b, t, _ = states.shape
        first = self.layers[0]
        shape = (len(self.layers), b, first.heads, steps, first.head_dim)
        keys, values = (torch.zeros(shape, dtype=states.dtype), torch.zeros(shape, dtype=states.dtype)) \
            if self.outside is None else (None, None)  # elsewhere, the cache is kept by the network
        cross = []
        for layer in self.layers:
            kv = layer.cross_kv(states).view(b, t, 2, layer.heads, layer.head_dim).permute(2, 0, 3, 1, 4)
            cross.append((kv[0].contiguous(), kv[1].contiguous()))
        if self.positions.weights.shape[0] < steps:
            self.positions.make_weights(steps, self.positions.embedding_dim)
        if self.outside is not None:
            self.outside.start(cross)
        self._cache = (keys, values, cross, steps)

    def step(self, codes: torch.Tensor, s: int) -> torch.Tensor:
        keys, values, cross, steps = self._cache
        if s >= steps:
            raise IndexError(f"step {s} beyond the {steps} the cache was made for")
        h = sum(self.embed[k](codes[:, k]) for k in range(self.codebooks)) + self.positions.weights[s]
        if self.outside is not None:
            return self.outside(h).view(h.shape[0], self.codebooks, self.vocab)
        for i, layer in enumerate(self.layers):
            h = layer(h, keys[i], values[i], s, *cross[i])
        return self.heads(self.norm(h)[:, 0]).view(h.shape[0], self.codebooks, self.vocab)

    def finish(self) -> None:
        """Let the piece's cache go."""
        self._cache = ()
        if self.outside is not None:
            self.outside.finish()


class StepNetwork(nn.Module):
    """MusicGen's decoder step as one network whose cache goes in and comes out, for a runtime that keeps it itself
    (OpenVINO, where the cache stays in the compiled network and is appended in place: see
    :func:`workshop_kit.openvino_rt._make_stateful`). Inputs (:meth:`input_names`): ``h``, the step's embedded
    codes ``(rows, 1, hidden)``; ``rows``, the rows ``0 … rows-1`` (the past is read through them, the form
    OpenVINO fuses into its attention); each layer's past keys and values ``(rows, heads, past, head_dim)``; each
    layer's cross-attention keys and values ``(rows, heads, text, head_dim)``. Outputs (:meth:`output_names`): the
    logits ``(rows, 1, codebooks × vocabulary)``, then each layer's keys and values one step longer. Built from
    ``decoder_lm``'s layers (fp32) without altering them; the same layers as :class:`LeanDecoder`'s."""

    def __init__(self, decoder_lm):
        super().__init__()
        decoder = decoder_lm.model.decoder
        self.lean = nn.ModuleList(_Layer(layer) for layer in decoder.layers)
        self.norm, self.heads = decoder.layer_norm, _fused(*decoder_lm.lm_heads)
        self.hidden = decoder_lm.config.hidden_size

    @staticmethod
    def input_names(count: int) -> list[str]:
        return ["h", "rows"] + [f"{kind}{i}" for kind in ("key", "value", "cross_key", "cross_value")
                                for i in range(count)]

    @staticmethod
    def output_names(count: int) -> list[str]:
        return ["logits"] + [f"{kind}{i}" for kind in ("present_key", "present_value") for i in range(count)]

    @staticmethod
    def shapes_for(config) -> list[tuple[int, ...]]:
        """Each input's shape for a decoder of ``config``, ``-1`` where free (the rows, the past, the text)."""
        heads = int(config.num_attention_heads)
        cache = (-1, heads, -1, int(config.hidden_size) // heads)
        return [(-1, 1, int(config.hidden_size)), (-1,)] + [cache] * (4 * int(config.num_hidden_layers))

    def example(self, rows: int = 2, past: int = 3, text: int = 5) -> tuple[torch.Tensor, ...]:
        first = self.lean[0]
        count = len(self.lean)
        return ((torch.zeros(rows, 1, self.hidden), torch.arange(rows, dtype=torch.int32))
                + tuple(torch.zeros(rows, first.heads, past, first.head_dim) for _ in range(2 * count))
                + tuple(torch.zeros(rows, first.heads, text, first.head_dim) for _ in range(2 * count)))

    def forward(self, h, rows, *cache):
        count = len(self.lean)
        keys, values, cross_k, cross_v = (cache[i * count:(i + 1) * count] for i in range(4))
        present_k, present_v = [], []
        for i, layer in enumerate(self.lean):
            h, k, v = layer.forward_kept(h, keys[i], values[i], rows, cross_k[i], cross_v[i])
            present_k.append(k)
            present_v.append(v)
        return (self.heads(self.norm(h)), *present_k, *present_v)


class OpenVinoSteps:
    """A :class:`StepNetwork` compiled by OpenVINO with its cache kept inside (one piece at a time): :meth:`start`
    empties the cache and sets the piece's cross-attention keys and values, each call runs a step."""

    def __init__(self, compiled):
        self.compiled = compiled
        self.request = compiled.create_infer_request()
        self._kept: list[Any] = []

    def start(self, cross: list[tuple[torch.Tensor, torch.Tensor]]) -> None:
        import numpy as np
        import openvino as ov

        self.request.reset_state()
        rows = cross[0][0].shape[0]
        self._kept = [np.ascontiguousarray(t.float().numpy()) for pair in zip(*cross) for t in pair]
        names = StepNetwork.input_names(len(cross))[2 + 2 * len(cross):]  # the cross-attention's, keys then values
        for name, array in zip(names, self._kept, strict=True):
            self.request.set_tensor(name, ov.Tensor(array, shared_memory=True))
        self.request.set_tensor("rows", ov.Tensor(np.arange(rows, dtype=np.int32)))

    def __call__(self, h: torch.Tensor) -> torch.Tensor:
        """The logits ``(rows, 1, codebooks × vocabulary)`` after the embedded codes ``h`` ``(rows, 1, hidden)``."""
        self.request.infer({"h": h.float().contiguous().numpy()})
        return torch.from_numpy(self.request.get_tensor("logits").data.copy())

    def finish(self) -> None:
        self.request.reset_state()
        self._kept = []


class OpenVinoAudio:
    """EnCodec's decoding (codes → audio) with its decoder network compiled by OpenVINO: the quantizer's lookup of
    the codes stays in torch, the convolutions and LSTM (a few seconds of a 10 s piece in PyTorch) run in
    ``compiled``, which keeps the length of each call free. One piece at a time (a lock: the network's buffers
    are shared). Pieces shorter than :attr:`SHORTEST` frames are decoded by PyTorch: the network was traced on a
    longer input, and EnCodec pads its first convolution differently below its kernel's width. Made by
    :func:`workshop_kit.music.musicgen.openvino_audio`, for an EnCodec that decodes a piece in one frame."""

    SHORTEST = 16  # frames (a third of a second); the first convolution's kernel is 7

    def __init__(self, audio_encoder, compiled):
        import threading

        self.encodec, self.compiled, self._lock = audio_encoder, compiled, threading.Lock()

    def __call__(self, codes: torch.Tensor) -> torch.Tensor:
        """Audio ``(1, channels, samples)`` of codes ``(1, 1, codebooks, frames)``, as ``EncodecModel.decode``
        makes it with no scales."""
        if codes.shape[-1] < self.SHORTEST:
            return self.encodec.decode(codes, audio_scales=[None]).audio_values
        embeddings = self.encodec.quantizer.decode(codes[0].transpose(0, 1))
        with self._lock:
            audio = self.compiled(embeddings.float().numpy())[0]
        return torch.from_numpy(audio.copy())


class LeanMusicgen:
    """A loaded MusicGen, generating through :class:`LeanDecoder` (which takes transformers' decoder layers: the model
    passed in cannot generate afterwards), its steps run by ``steps`` where given."""

    def __init__(self, model, *, int8: bool = True, steps: OpenVinoSteps | None = None):
        why = supported(model)
        if why:
            raise ValueError(f"the lean loop does not run {why}")
        self.config, self.generation_config = model.config, model.generation_config
        self.text_encoder = model.text_encoder
        projection = getattr(model, "enc_to_dec_proj", None)
        self.projection = projection if projection is not None and (
            model.text_encoder.config.hidden_size != model.decoder.config.hidden_size) else None
        self.audio_encoder = model.audio_encoder
        self.audio: Callable[[torch.Tensor], torch.Tensor] | None = None  # EnCodec elsewhere (OpenVINO), if set
        self.notes: list[str] = []  # what a result should say about how it was made (e.g. why not OpenVINO)
        self.decoder = LeanDecoder(model.decoder, int8=int8, steps=steps).eval()
        self.codebooks = self.decoder.codebooks
        self._delays = type(model.decoder).build_delay_pattern_mask  # transformers' own, called on a light view
        self._view = SimpleNamespace(num_codebooks=self.codebooks, config=SimpleNamespace(audio_channels=1),
                                     generation_config=model.generation_config)
        self.pad = int(model.generation_config.pad_token_id)
        top_k = model.generation_config.top_k
        self.top_k = _default_top_k() if top_k is None else int(top_k)
        self.start_token = int(model.generation_config.decoder_start_token_id)

    def _states(self, input_ids, attention_mask, guidance: bool) -> torch.Tensor:
        """The text's hidden states as the decoder reads them; with guidance, a second row for the empty prompt
        (zeros, as transformers makes it)."""
        states = self.text_encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        if self.projection is not None:
            states = self.projection(states)
        if attention_mask is not None:
            states = states * attention_mask[..., None].to(states.dtype)
        return torch.cat([states, torch.zeros_like(states)]) if guidance else states

    def codes(self, input_ids, attention_mask=None, *, steps: int, guidance_scale: float = 3.0,
              temperature: float = 1.0, do_sample: bool = True, tick=None) -> torch.Tensor:
        """The audio codes ``(1, 1, codebooks, frames)`` for one prompt, over ``steps`` decoder steps (the
        delay pattern removed, as ``generate`` leaves them for EnCodec)."""
        if input_ids.shape[0] != 1:
            raise ValueError("the lean loop makes one piece at a time")
        guidance = guidance_scale is not None and guidance_scale > 1
        rows = 2 if guidance else 1
        ids, pattern = self._delays(self._view, torch.full((self.codebooks, 1), self.start_token, dtype=torch.long),
                                    pad_token_id=self.start_token, max_length=steps + 1)
        top_k = self.top_k
        self.decoder.start(self._states(input_ids, attention_mask, guidance), steps)
        try:
            for s in range(steps):
                ids = torch.where(pattern[..., :ids.shape[-1]] == -1, ids, pattern[..., :ids.shape[-1]])
                last = ids[:, -1:].view(1, self.codebooks, 1).expand(rows, -1, -1)
                scores = self.decoder.step(last, s).reshape(rows * self.codebooks, -1).float()
                if guidance:  # transformers' ClassifierFreeGuidanceLogitsProcessor
                    cond, uncond = scores.split(self.codebooks)
                    scores = uncond + (cond - uncond) * guidance_scale
                if do_sample:
                    if temperature != 1.0:
                        scores = scores / temperature
                    if top_k:
                        k = min(top_k, scores.shape[-1])
                        scores = scores.masked_fill(scores < torch.topk(scores, k)[0][..., -1, None], -math.inf)
                    following = torch.multinomial(torch.softmax(scores, dim=-1), num_samples=1)
                else:
                    following = scores.argmax(-1, keepdim=True)
                ids = torch.cat([ids, following], dim=-1)
                if tick is not None:
                    tick()
        finally:
            self.decoder.finish()
        ids = torch.where(pattern[..., :ids.shape[-1]] == -1, ids, pattern[..., :ids.shape[-1]])
        return ids[ids != self.pad].reshape(1, 1, self.codebooks, -1)

    def generate(self, input_ids, attention_mask=None, *, steps: int, guidance_scale: float = 3.0,
                 temperature: float = 1.0, do_sample: bool = True, tick=None) -> torch.Tensor:
        """The audio ``(1, channels, samples)``, as ``MusicgenForConditionalGeneration.generate`` returns it."""
        codes = self.codes(input_ids, attention_mask, steps=steps, guidance_scale=guidance_scale,
                           temperature=temperature, do_sample=do_sample, tick=tick)
        if self.audio is not None:
            return self.audio(codes)
        return self.audio_encoder.decode(codes, audio_scales=[None]).audio_values

    def forced_logits(self, input_ids, attention_mask, codes: torch.Tensor) -> torch.Tensor:
        """The decoder's logits ``(codebooks, length, vocabulary)`` for given codes ``(codebooks, length)``, one
        step after another with no guidance: what ``model(..., decoder_input_ids=codes).logits`` gives."""
        length = codes.shape[-1]
        self.decoder.start(self._states(input_ids, attention_mask, False), length)
        try:
            rows = [self.decoder.step(codes[None, :, s:s + 1], s)[0] for s in range(length)]
        finally:
            self.decoder.finish()
        return torch.stack(rows, 1)
