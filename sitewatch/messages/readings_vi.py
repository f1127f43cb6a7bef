"""The evaluator's one-line summaries ("mains 0 V on 3 phases, charge 99%") in Vietnamese.

Evaluation writes its summaries in English once, on the incident; messages are read in the
recipient's language. The summaries come from a small fixed set of phrases
(``sitewatch.evaluation.conditions`` and ``engine``), so they are rendered phrase by phrase;
a phrase this table does not know stays as it is rather than being guessed at.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["summary_in"]

_METHOD = {"reported": "thiết bị báo", "charge_trend": "theo xu hướng dung lượng",
           "voltage_trend": "theo xu hướng điện áp", "capacity": "theo dung lượng và dòng tải",
           "load": "theo công suất tải"}
_ERROR = {"timeout": "không trả lời", "auth": "sai thông tin xác thực", "network": "lỗi mạng"}
_UNITS = (("h", "giờ"), ("min", "phút"), ("s", "giây"))


def _duration(text: str) -> str:
    for en, vi in _UNITS:
        text = re.sub(rf"(\d) {en}\b", rf"\1 {vi}", text)
    return text


_Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]
_RULES: tuple[_Rule, ...] = tuple((re.compile(p), f) for p, f in (
    (r"^mains (\S+) V on (\d+) phases?$", lambda m: f"điện lưới {m[1]} V trên {m[2]} pha"),
    (r"^mains lost \(on battery, no mains reading\)$", lambda m: "mất điện lưới (đang chạy ắc quy)"),
    (r"^mains lost and generator not running$", lambda m: "mất điện lưới và máy phát không chạy"),
    (r"^mains lost$", lambda m: "mất điện lưới"),
    (r"^mains present.*$", lambda m: "có điện lưới"),
    (r"^generator running$", lambda m: "máy phát đang chạy"),
    (r"^on battery for (.+)$", lambda m: f"chạy ắc quy {_duration(m[1])}"),
    (r"^on battery$", lambda m: "đang chạy ắc quy"),
    (r"^on mains$", lambda m: "chạy điện lưới"),
    (r"^output (\S+)$", lambda m: f"nguồn ra {m[1]}"),
    (r"^charge (\d+%)$", lambda m: f"dung lượng {m[1]}"),
    (r"^battery low$", lambda m: "ắc quy yếu"),
    (r"^battery depleted$", lambda m: "ắc quy cạn"),
    (r"^~(.+) left \((\w+)\)$", lambda m: f"còn ~{_duration(m[1])} ({_METHOD.get(m[2], m[2])})"),
    (r"^runtime ~(.+) left \((\w+)\)$", lambda m: f"thời gian còn ~{_duration(m[1])} ({_METHOD.get(m[2], m[2])})"),
    (r"^threshold (.+)$", lambda m: f"ngưỡng {_duration(m[1])}"),
    (r"^runtime unknown$", lambda m: "chưa ước tính được thời gian còn lại"),
    (r"^no answer for (\d+) polls \((\w+)\)$",
     lambda m: f"{_ERROR.get(m[2], m[2])} {m[1]} lần hỏi liên tiếp"),
    (r"^answering again after (\d+) failed polls$", lambda m: f"trả lời lại sau {m[1]} lần hỏi lỗi"),
    (r"^answering again$", lambda m: "trả lời lại"),
    (r"^(.+) down \(admin up\)$", lambda m: f"{m[1]} mất kết nối (đang bật)"),
    (r"^(.+) down \(admin down\)$", lambda m: f"{m[1]} mất kết nối (đã tắt)"),
    (r"^(.+) down$", lambda m: f"{m[1]} mất kết nối"),
    (r"^(.+) up$", lambda m: f"{m[1]} có kết nối"),
    (r"^(battery temperature|temperature) (.+)$", lambda m: f"nhiệt độ ắc quy {m[2]}"),
    (r"^fuel (.+)$", lambda m: f"nhiên liệu {m[1]}"),
))


def _phrase(part: str) -> str:
    for pattern, render in _RULES:
        m = pattern.match(part)
        if m:
            return render(m)
    return part


def summary_in(summary: str, language: str) -> str:
    """``summary`` for a reader of ``language`` ("vi" or "en"); unknown phrases are kept."""
    if not summary or not language.lower().startswith("vi"):
        return summary
    return ", ".join(_phrase(p.strip()) for p in summary.split(", "))
