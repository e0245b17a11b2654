"""Plain SVG charts for summarize.py: horizontal grouped bars and log-log lines, with no plotting library."""
import math
from xml.sax.saxutils import escape

# Colour-blind-safe (Okabe-Ito), one per series, in series order.
COLOURS = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]


def _text(x, y, s, anchor="start", extra="", size=12):
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-family="sans-serif" font-size="{size}" '
            f'{extra}>{escape(s)}</text>')


def _write(path, width, height, body):
    with open(path, "w") as f:
        f.write(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
                f'viewBox="0 0 {width} {height}">\n<rect width="100%" height="100%" fill="white"/>\n')
        f.write("\n".join(body))
        f.write("\n</svg>\n")


def _legend(names, x, y):
    out = []
    for i, name in enumerate(names):
        out.append(f'<rect x="{x}" y="{y + 18 * i - 9}" width="12" height="12" fill="{COLOURS[i % len(COLOURS)]}"/>')
        out.append(_text(x + 18, y + 18 * i + 1, name))
    return out


def bars(path, title, unit, groups, series):
    """One row of bars per group, one bar per series in each row; groups: [(label, {series: value})]."""
    bar, gap, left, right, top = 14, 12, 150, 90, 40
    height = top + len(groups) * (len(series) * bar + gap) + 30
    width = 760
    peak = max((v for _, values in groups for v in values.values()), default=1) or 1
    scale = (width - left - right - 140) / peak
    body = [_text(width / 2, 22, title, "middle", 'font-weight="bold"', 14)]
    y = top
    for label, values in groups:
        body.append(_text(left - 8, y + len(series) * bar / 2 + 4, label, "end"))
        for i, name in enumerate(series):
            if name in values:
                v = values[name]
                body.append(f'<rect x="{left}" y="{y}" width="{max(v * scale, 1):.1f}" height="{bar - 2}" '
                            f'fill="{COLOURS[i % len(COLOURS)]}"><title>{escape(f"{label}, {name}: {v:,.0f} {unit}")}'
                            f'</title></rect>')
                body.append(_text(left + v * scale + 4, y + bar - 4, f"{v:,.0f}", size=11))
            y += bar
        y += gap
    axis_y = y
    body.append(f'<line x1="{left}" y1="{top - 4}" x2="{left}" y2="{axis_y}" stroke="black"/>')
    body.append(_text(left + (width - left - right - 140) / 2, axis_y + 20, unit, "middle"))
    body += _legend(series, width - right - 110, top + 10)
    _write(path, width, height + 10, body)


def _decades(lo, hi):
    return [10.0 ** e for e in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1)]


def _si(v):
    for div, suffix in ((1e6, "M"), (1e3, "k")):
        if v >= div:
            return f"{v / div:g}{suffix}"
    return f"{v:g}"


def loglog(path, title, x_label, y_label, series):
    """One line per series on log-log axes; series: {name: [(x, y)]}, points sorted by x."""
    points = [p for pts in series.values() for p in pts]
    if not points:
        return
    width, height, left, right, top, bottom = 760, 460, 70, 190, 40, 50
    xs = _decades(min(p[0] for p in points), max(p[0] for p in points))
    ys = _decades(min(p[1] for p in points), max(p[1] for p in points))
    lx0, lx1, ly0, ly1 = math.log10(xs[0]), math.log10(xs[-1]), math.log10(ys[0]), math.log10(ys[-1])
    pw, ph = width - left - right, height - top - bottom

    def px(x):
        return left + (math.log10(x) - lx0) / ((lx1 - lx0) or 1) * pw

    def py(y):
        return top + ph - (math.log10(y) - ly0) / ((ly1 - ly0) or 1) * ph

    body = [_text(width / 2, 22, title, "middle", 'font-weight="bold"', 14)]
    for x in xs:
        body.append(f'<line x1="{px(x):.1f}" y1="{top}" x2="{px(x):.1f}" y2="{top + ph}" stroke="#ddd"/>')
        body.append(_text(px(x), top + ph + 16, _si(x), "middle"))
    for y in ys:
        body.append(f'<line x1="{left}" y1="{py(y):.1f}" x2="{left + pw}" y2="{py(y):.1f}" stroke="#ddd"/>')
        body.append(_text(left - 6, py(y) + 4, _si(y), "end"))
    body.append(f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="black"/>')
    body.append(_text(left + pw / 2, height - 12, x_label, "middle"))
    body.append(_text(16, top + ph / 2, y_label, "middle", f'transform="rotate(-90 16 {top + ph / 2})"'))
    for i, (name, pts) in enumerate(series.items()):
        colour = COLOURS[i % len(COLOURS)]
        dash = ' stroke-dasharray="6 3"' if "durable" in name else ""
        path_d = " ".join(f"{'M' if j == 0 else 'L'}{px(x):.1f},{py(y):.1f}" for j, (x, y) in enumerate(pts))
        body.append(f'<path d="{path_d}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
        for x, y in pts:
            body.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3.5" fill="{colour}">'
                        f'<title>{escape(f"{name}: {x:,.0f} volumes, {y:,.0f} ms")}</title></circle>')
    body += _legend(list(series), left + pw + 16, top + 10)
    _write(path, width, height, body)
