"""The words of a request to a utility, in Vietnamese and English.

Vietnamese follows the letters asking priority supply ("đề nghị ưu tiên cấp điện trở lại").
Kinds of site, criticality and time units come from ``messages.vocabulary``; SMS texts are
the same words transliterated (``messages.sms.to_gsm7``).
"""

from __future__ import annotations

from collections.abc import Mapping

from sitewatch.utilities.model import GeneratorState, Supply

__all__ = ["WORDS", "Words", "words"]

_VI: Mapping[str, str] = {
    "subject_new": "[{reference}] Đề nghị ưu tiên cấp {supply} trở lại: {count} trạm, {line}",
    "subject_update": "[{reference}] Bổ sung: {count} trạm đề nghị ưu tiên cấp {supply}, {line}",
    "subject_restored": "[{reference}] Đã có {supply} lại: {restored} trạm; còn {count} trạm chờ, {line}",
    "power": "điện",
    "water": "nước",
    "to": "Kính gửi: {contact}, {utility}",
    "from": "Đơn vị đề nghị: {sender}",
    "basis": "Căn cứ: {basis}",
    "ask_new": "Đề nghị Quý đơn vị ưu tiên cấp {supply} trở lại cho {count} trạm viễn thông, bưu chính sau "
               "({line}), xếp theo mức khẩn cấp: trạm sắp cạn ắc quy trước.",
    "ask_update": "Bổ sung vào đề nghị {reference}: thêm trạm mất {supply}. Danh sách đầy đủ {count} trạm "
                  "đang chờ, xếp theo mức khẩn cấp:",
    "ask_restored": "Cập nhật đề nghị {reference}: đã có {supply} lại tại {restored}. Còn {count} trạm chờ:",
    "closed": "Tất cả các trạm trong đề nghị {reference} đã có {supply} lại. Xin cảm ơn Quý đơn vị.",
    "callback": "Liên hệ lại: {name}, điện thoại {phone}",
    "callback_email": "Email: {email}",
    "details": "Chi tiết: {link}",
    "zone": "Giờ theo {offset}",
    "reference": "Số đề nghị",
    "site": "Trạm",
    "id": "Mã trạm",
    "kind": "Loại trạm",
    "address": "Địa chỉ",
    "location": "Xã/phường, huyện",
    "gps": "Tọa độ",
    "map": "Bản đồ",
    "customer_id": "Mã khách hàng",
    "meter": "Công tơ",
    "feeder": "Lộ/xuất tuyến",
    "transformer": "Trạm biến áp",
    "since": "Mất {supply} từ",
    "battery": "Ắc quy",
    "depletion": "Dự kiến cạn ắc quy",
    "generator": "Máy phát điện",
    "reason": "Lý do ưu tiên",
    "subscribers": "Số thuê bao phục vụ (ước tính)",
    "restricted": "Lưu ý ra vào",
    "battery_percent": "còn {percent}%",
    "unknown": "chưa rõ",
    "depleted": "đã cạn",
    "in": "{at} (còn {left})",
    "sms": "{reference} De nghi uu tien cap {supply}: {count} tram. Gap nhat: {site} can ac quy luc {at}. "
           "Goi lai {phone}. {link}",
    "sms_no_depletion": "{reference} De nghi uu tien cap {supply}: {count} tram. Gap nhat: {site}. "
                        "Goi lai {phone}. {link}",
    "sms_restored": "{reference} Da co {supply} lai {restored} tram, con {count} tram cho. {link}",
}

_EN: Mapping[str, str] = {
    "subject_new": "[{reference}] Request for priority restoration of {supply}: {count} sites, {line}",
    "subject_update": "[{reference}] Update: {count} sites asking priority {supply} restoration, {line}",
    "subject_restored": "[{reference}] {supply} back at {restored} sites; {count} still waiting, {line}",
    "power": "power",
    "water": "water",
    "to": "To: {contact}, {utility}",
    "from": "From: {sender}",
    "basis": "Basis: {basis}",
    "ask_new": "Please give priority to restoring {supply} to the following {count} telecom and postal sites "
               "({line}), most urgent first: sites about to run out of battery lead.",
    "ask_update": "Update to request {reference}: more sites have lost {supply}. The full list of {count} sites "
                  "waiting, most urgent first:",
    "ask_restored": "Update to request {reference}: {supply} is back at {restored}. {count} sites still waiting:",
    "closed": "Every site of request {reference} has {supply} again. Thank you.",
    "callback": "Call back: {name}, phone {phone}",
    "callback_email": "Email: {email}",
    "details": "Details: {link}",
    "zone": "Times in {offset}",
    "reference": "Request number",
    "site": "Site",
    "id": "Site id",
    "kind": "Kind",
    "address": "Address",
    "location": "Commune, district",
    "gps": "GPS",
    "map": "Map",
    "customer_id": "Customer id",
    "meter": "Meter",
    "feeder": "Feeder",
    "transformer": "Transformer",
    "since": "No {supply} since",
    "battery": "Battery",
    "depletion": "Battery predicted empty at",
    "generator": "Generator",
    "reason": "Why it matters",
    "subscribers": "People served (approx.)",
    "restricted": "Access",
    "battery_percent": "{percent}% left",
    "unknown": "unknown",
    "depleted": "already empty",
    "in": "{at} (in {left})",
    "sms": "{reference} Priority {supply} restoration: {count} sites. Most urgent: {site} battery empty at {at}. "
           "Call {phone}. {link}",
    "sms_no_depletion": "{reference} Priority {supply} restoration: {count} sites. Most urgent: {site}. "
                        "Call {phone}. {link}",
    "sms_restored": "{reference} {supply} back at {restored} sites, {count} still waiting. {link}",
}

_GENERATOR = {
    "vi": {GeneratorState.RUNNING: "đang chạy", GeneratorState.STANDBY: "có, chưa chạy",
           GeneratorState.FAILED: "hỏng, không chạy được", GeneratorState.ABSENT: "không có"},
    "en": {GeneratorState.RUNNING: "running", GeneratorState.STANDBY: "present, not running",
           GeneratorState.FAILED: "failed to run", GeneratorState.ABSENT: "none"},
}

WORDS: Mapping[str, Mapping[str, str]] = {"vi": _VI, "en": _EN}


class Words:
    """One language's request words."""

    def __init__(self, language: str) -> None:
        self.language = language if language in WORDS else "vi"
        self._w = WORDS[self.language]

    def __getitem__(self, name: str) -> str:
        return self._w[name]

    def say(self, key: str, **values: object) -> str:
        return self._w[key].format(**values)

    def supply(self, supply: Supply) -> str:
        return self._w[supply.value]

    def generator(self, state: GeneratorState) -> str:
        return _GENERATOR[self.language][state]


def words(language: str) -> Words:
    return Words(language)
