"""An interactive 3D view for Jupyter that needs no internet: a canvas and a few lines of raw WebGL, all inline.

The mesh travels inside the HTML as base64 arrays (positions, normals, optional vertex colours, triangle indices),
so the view works offline, in a saved notebook and in an exported HTML page. Drag to turn the object, use the wheel
to come closer; it turns slowly by itself until touched.
"""

from __future__ import annotations

import base64
import html
import uuid

import numpy as np

__all__ = ["MAX_FACES", "mesh_to_html"]

#: The most triangles embedded in one view; a bigger mesh shows its first ``MAX_FACES`` faces and says so.
MAX_FACES = 200_000

_CLAY = (0.78, 0.47, 0.29)  # terracotta, for meshes without colours

_TEMPLATE = """<div id="{uid}-box" style="position:relative;width:100%;max-width:{width}px;">
<canvas id="{uid}" width="{width}" height="{height}" style="width:100%;height:{height}px;border-radius:8px;
background:#f4efe6;cursor:grab;touch-action:none;display:block;"></canvas>
<div style="font-size:12px;color:#4a3b2c;margin-top:4px;">{note}</div>
</div>
<script>
(function () {{
  var canvas = document.getElementById("{uid}");
  if (!canvas) return;
  function bytes(s) {{ var b = atob(s), a = new Uint8Array(b.length);
    for (var i = 0; i < b.length; i++) a[i] = b.charCodeAt(i); return a.buffer; }}
  var gl = canvas.getContext("webgl", {{antialias: true}});
  if (!gl || !gl.getExtension("OES_element_index_uint")) {{
    canvas.insertAdjacentHTML("afterend", "<p>WebGL is not available in this browser / WebGL indisponible.</p>");
    return;
  }}
  var pos = new Float32Array(bytes("{positions}")), nor = new Float32Array(bytes("{normals}"));
  var col = new Uint8Array(bytes("{colours}")), idx = new Uint32Array(bytes("{indices}"));
  var vs = "attribute vec3 p; attribute vec3 n; attribute vec3 c; uniform mat4 mv; uniform mat4 pr;" +
    "varying vec3 vn; varying vec3 vc; void main() {{ vn = (mv * vec4(n, 0.0)).xyz; vc = c;" +
    " gl_Position = pr * mv * vec4(p, 1.0); }}";
  var fs = "precision mediump float; varying vec3 vn; varying vec3 vc; void main() {{" +
    " vec3 n = normalize(vn); if (!gl_FrontFacing) n = -n;" +
    " float key = max(dot(n, normalize(vec3(0.5, 0.7, 0.8))), 0.0);" +
    " float fill = max(dot(n, normalize(vec3(-0.6, -0.2, 0.5))), 0.0);" +
    " gl_FragColor = vec4(vc * (0.28 + 0.62 * key + 0.22 * fill), 1.0); }}";
  function shader(type, src) {{ var s = gl.createShader(type); gl.shaderSource(s, src); gl.compileShader(s); return s; }}
  var prog = gl.createProgram();
  gl.attachShader(prog, shader(gl.VERTEX_SHADER, vs)); gl.attachShader(prog, shader(gl.FRAGMENT_SHADER, fs));
  gl.linkProgram(prog);
  if (!gl.getProgramParameter(prog, gl.LINK_STATUS)) {{
    canvas.insertAdjacentHTML("afterend", "<p>This browser could not draw the view / vue 3D impossible ici.</p>");
    return;
  }}
  gl.useProgram(prog);
  function attribute(name, data, size, type, normalized) {{
    var buf = gl.createBuffer(), loc = gl.getAttribLocation(prog, name);
    gl.bindBuffer(gl.ARRAY_BUFFER, buf); gl.bufferData(gl.ARRAY_BUFFER, data, gl.STATIC_DRAW);
    gl.enableVertexAttribArray(loc); gl.vertexAttribPointer(loc, size, type, normalized, 0, 0);
  }}
  attribute("p", pos, 3, gl.FLOAT, false); attribute("n", nor, 3, gl.FLOAT, false);
  attribute("c", col, 3, gl.UNSIGNED_BYTE, true);
  var ibuf = gl.createBuffer(); gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, ibuf);
  gl.bufferData(gl.ELEMENT_ARRAY_BUFFER, idx, gl.STATIC_DRAW);
  var uMv = gl.getUniformLocation(prog, "mv"), uPr = gl.getUniformLocation(prog, "pr");
  gl.enable(gl.DEPTH_TEST); gl.clearColor(0.957, 0.937, 0.902, 1.0);
  var yaw = 0.6, pitch = 0.35, dist = 2.7, dragging = false, touched = 0, lastX = 0, lastY = 0;
  canvas.addEventListener("pointerdown", function (e) {{ dragging = true; lastX = e.clientX; lastY = e.clientY;
    canvas.setPointerCapture(e.pointerId); canvas.style.cursor = "grabbing"; }});
  canvas.addEventListener("pointermove", function (e) {{ if (!dragging) return;
    yaw += (e.clientX - lastX) * 0.01; pitch += (e.clientY - lastY) * 0.01;
    pitch = Math.max(-1.5, Math.min(1.5, pitch)); lastX = e.clientX; lastY = e.clientY; touched = Date.now(); }});
  function release() {{ dragging = false; canvas.style.cursor = "grab"; }}
  canvas.addEventListener("pointerup", release); canvas.addEventListener("pointercancel", release);
  canvas.addEventListener("wheel", function (e) {{ e.preventDefault();
    dist = Math.max(1.3, Math.min(12, dist * Math.exp(e.deltaY * 0.001))); }}, {{passive: false}});
  function frame() {{
    if (!document.body.contains(canvas)) return;  // the cell was cleared: stop drawing
    if (!dragging && Date.now() - touched > 2500) yaw += 0.004;
    var w = canvas.clientWidth, h = canvas.clientHeight, dpr = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {{
      canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr); }}
    gl.viewport(0, 0, canvas.width, canvas.height);
    gl.clear(gl.COLOR_BUFFER_BIT | gl.DEPTH_BUFFER_BIT);
    var cy = Math.cos(yaw), sy = Math.sin(yaw), cp = Math.cos(pitch), sp = Math.sin(pitch);
    // model: turn about the object's z (up) axis, tilt towards the viewer, z up on screen; column-major
    var mv = [cy, -sy * sp, sy * cp, 0,  sy, cy * sp, -cy * cp, 0,  0, cp, sp, 0,  0, 0, -dist, 1];
    var f = 1 / Math.tan(0.35), a = canvas.width / Math.max(canvas.height, 1), near = 0.05, far = 50;
    var pr = [f / a, 0, 0, 0,  0, f, 0, 0,  0, 0, (far + near) / (near - far), -1,
              0, 0, 2 * far * near / (near - far), 0];
    gl.uniformMatrix4fv(uMv, false, mv); gl.uniformMatrix4fv(uPr, false, pr);
    gl.drawElements(gl.TRIANGLES, idx.length, gl.UNSIGNED_INT, 0);
    requestAnimationFrame(frame);
  }}
  requestAnimationFrame(frame);
}})();
</script>"""  # noqa: E501


def _b64(array: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(array).tobytes()).decode("ascii")


def mesh_to_html(mesh, height: int = 400, *, width: int = 640, note: str | None = None) -> str:
    """Return a self-contained HTML snippet that shows ``mesh`` in an interactive WebGL view.

    Parameters
    ----------
    mesh : trimesh.Trimesh
        The mesh to show; its vertex colours are used when it has them, a clay colour otherwise.
    height : int
        Height of the view in pixels.
    width : int
        Largest width of the view in pixels (it shrinks with the notebook's column).
    note : str, optional
        The line under the view (default: the mesh's size and how to turn it, in English and French).

    Returns
    -------
    str
        HTML with a ``<canvas>`` and inline JavaScript; no file or address outside the snippet is needed. Each call
        uses its own element id, so several views can share a page.

    Examples
    --------
    >>> import trimesh
    >>> snippet = mesh_to_html(trimesh.creation.icosphere(), height=300)
    >>> "<canvas" in snippet and "http" not in snippet
    True
    """
    height = max(int(height), 100)
    width = max(int(width), 100)
    vertices = np.asarray(mesh.vertices, dtype=np.float64)
    faces = np.asarray(mesh.faces, dtype=np.int64)
    total = len(faces)
    default_note = f"{len(vertices):,} vertices, {total:,} faces — drag to turn, wheel to zoom / glisser pour tourner"
    note = default_note if note is None else str(note)[:300]
    if total > MAX_FACES:
        faces = faces[:MAX_FACES]
        note = (f"Showing the first {MAX_FACES:,} of {total:,} faces (too many to show whole here); save the mesh to "
                f"see all of it / seules {MAX_FACES:,} faces sur {total:,} sont affichées.")

    if len(vertices):
        low, high = vertices.min(axis=0), vertices.max(axis=0)
        centre = (low + high) / 2
        radius = max(float(np.linalg.norm(high - low)) / 2, 1e-12)
    else:
        centre, radius = np.zeros(3), 1.0
    positions = ((vertices - centre) / radius).astype("<f4")
    normals = np.asarray(mesh.vertex_normals, dtype="<f4") if len(faces) else np.zeros_like(positions)

    colours = None
    visual = getattr(mesh, "visual", None)
    if visual is not None and getattr(visual, "kind", None) == "vertex":
        colours = np.asarray(visual.vertex_colors)[:, :3]
    elif visual is not None and getattr(visual, "kind", None) == "face":
        face_rgb = np.asarray(visual.face_colors)[:, :3].astype(np.float64)
        sums = np.zeros((len(vertices), 3))
        counts = np.zeros(len(vertices))
        np.add.at(sums, faces.ravel(), np.repeat(face_rgb[: len(faces)], 3, axis=0))
        np.add.at(counts, faces.ravel(), 1)
        colours = sums / np.maximum(counts, 1)[:, None]
    if colours is None or len(colours) != len(vertices):
        colours = np.tile(np.array(_CLAY) * 255, (len(vertices), 1))
    colours = np.clip(np.round(colours), 0, 255).astype(np.uint8)

    return _TEMPLATE.format(
        uid=f"wk-mesh-{uuid.uuid4().hex[:12]}",
        width=width,
        height=height,
        note=html.escape(note),
        positions=_b64(positions),
        normals=_b64(normals),
        colours=_b64(colours),
        indices=_b64(faces.astype("<u4")),
    )
