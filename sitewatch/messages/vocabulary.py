"""Every word a person reads in a message, in Vietnamese and English.

One ``Vocabulary`` per language; every field is required, so a language cannot ship with a
hole in it. Vietnamese follows the terms of the MIC and DIC letters (``CONTEXT.md``):
"mất điện lưới", "đang chạy ắc quy", "mất kết nối truyền dẫn", "trạm thu phát sóng di động".
Phrases with ``{placeholders}`` are filled by ``str.format``. SMS texts are built from the same
words and transliterated (``sms.to_gsm7``), so they need no separate vocabulary.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sitewatch.config.schema import Criticality, SiteKind, StationLevel
from sitewatch.incidents.model import Condition, Phrase, Severity
from sitewatch.notify.model import MessageKind

__all__ = ["DEFAULT_LANGUAGE", "EN", "LANGUAGES", "VI", "Vocabulary", "vocabulary"]

_P = Phrase


@dataclass(frozen=True, slots=True, kw_only=True)
class Vocabulary:
    language: str
    conditions: Mapping[Condition, str]
    kinds: Mapping[SiteKind, str]
    #: "{level}" telecom station: the level's adjective, and the pattern
    station_levels: Mapping[StationLevel, str]
    station_with_level: str
    criticality: Mapping[Criticality, str]
    severity: Mapping[Severity, str]
    #: how a battery runtime was estimated (RuntimeEstimate.method)
    runtime_methods: Mapping[str, str]
    #: what evaluation saw (``incidents.model.Summary``): a template per phrase (``messages.readings``)
    readings: Mapping[Phrase, str]
    poll_errors: Mapping[str, str]  #: why a poll failed (``PollErrorKind`` value)
    output_sources: Mapping[str, str]  #: what feeds a UPS's output (the ``output_source`` reading)
    #: subject tag per message kind ("Sự cố", "Incident")
    tags: Mapping[MessageKind, str]
    #: channel types as a way to send ("SMS", "email") and as the service that fails ("cổng SMS", "SMS gateway")
    channels: Mapping[str, str]
    channel_services: Mapping[str, str]
    labels: Mapping[str, str]  #: field labels: site, kind, location, ...
    phrases: Mapping[str, str]  #: sentences with placeholders
    ack_page: Mapping[str, str]  #: the acknowledge page (``ackpage``)
    #: units for durations: day, hour, minute, "under a minute"
    day: str
    hour: str
    minute: str
    under_a_minute: str
    months: tuple[str, ...] | None  #: month names for dates, or None for dd/mm/yyyy

    def label(self, name: str) -> str:
        return self.labels[name]

    def phrase(self, name: str, **values: object) -> str:
        return self.phrases[name].format(**values)


VI = Vocabulary(
    language="vi",
    conditions={
        Condition.MAINS_LOST: "mất điện lưới",
        Condition.ON_BATTERY: "đang chạy ắc quy",
        Condition.BATTERY_LOW: "ắc quy yếu",
        Condition.BATTERY_RUNTIME_LOW: "ắc quy sắp cạn (thời gian dự phòng thấp)",
        Condition.BATTERY_DEPLETED: "ắc quy đã cạn",
        Condition.LVD_OPEN: "LVD đã ngắt (cắt tải hoặc ắc quy)",
        Condition.BATTERY_TEMPERATURE_HIGH: "nhiệt độ ắc quy cao",
        Condition.GENERATOR_FAILED: "máy phát điện không chạy",
        Condition.FUEL_LOW: "máy phát điện sắp hết nhiên liệu",
        Condition.RECTIFIER_FAILED: "hỏng bộ chỉnh lưu (rectifier)",
        Condition.LINK_DOWN: "mất kết nối truyền dẫn",
        Condition.SITE_UNREACHABLE: "mất giám sát trạm (không phản hồi SNMP)",
    },
    kinds={
        SiteKind.NOC_BUILDING: "tòa nhà quản lý, điều hành mạng lưới",
        SiteKind.TELECOM_STATION: "trạm viễn thông",
        SiteKind.FIXED_STATION: "trạm viễn thông cố định",
        SiteKind.BTS: "trạm thu phát sóng di động (BTS)",
        SiteKind.POST_OFFICE: "bưu cục, điểm giao dịch bưu chính",
    },
    station_levels={StationLevel.INTERNATIONAL: "quốc tế", StationLevel.REGIONAL: "khu vực",
                    StationLevel.PROVINCIAL: "nội tỉnh", StationLevel.DISTRICT: "cấp huyện"},
    station_with_level="trạm viễn thông {level}",
    criticality={Criticality.NORMAL: "bình thường", Criticality.HIGH: "quan trọng",
                 Criticality.CRITICAL: "rất quan trọng"},
    severity={Severity.INFO: "thông tin", Severity.WARNING: "cảnh báo", Severity.MAJOR: "nghiêm trọng",
              Severity.CRITICAL: "khẩn cấp"},
    runtime_methods={
        "reported": "số liệu thiết bị báo",
        "charge_trend": "xu hướng dung lượng ắc quy",
        "voltage_trend": "xu hướng điện áp ắc quy",
        "capacity": "dung lượng (Ah) và dòng tải",
        "load": "dung lượng và tải điển hình đã khai báo",
    },
    readings={
        _P.MAINS_ONE_PHASE: "điện lưới {volts} V (1 pha)",
        _P.MAINS_PHASES: "điện lưới {volts} V trên {phases} pha",
        _P.MAINS_LOST: "mất điện lưới",
        _P.MAINS_PRESENT: "có điện lưới",
        _P.MAINS_LOST_ON_BATTERY: "mất điện lưới (đang chạy ắc quy, không đọc được điện lưới)",
        _P.MAINS_PRESENT_NOT_ON_BATTERY: "có điện lưới (không chạy ắc quy)",
        _P.ON_BATTERY: "đang chạy ắc quy",
        _P.ON_BATTERY_FOR: "chạy ắc quy {seconds:duration}",
        _P.ON_MAINS: "chạy điện lưới",
        _P.OUTPUT_SOURCE: "nguồn ra {source:output}",
        _P.CHARGE: "dung lượng {ratio:pct}",
        _P.BATTERY_STATUS_LOW: "thiết bị báo ắc quy yếu",
        _P.BATTERY_STATUS_DEPLETED: "thiết bị báo ắc quy cạn",
        _P.CELL_VOLTAGE: "{cell_volts:.2f} V/bình ({volts:.1f} V)",
        _P.RUNTIME_LEFT: "còn ~{seconds:duration} (theo {method:method})",
        _P.RUNTIME_THRESHOLD: "thời gian còn ~{seconds:duration} (theo {method:method}), ngưỡng {threshold:duration}",
        _P.RUNTIME_UNKNOWN: "chưa ước tính được thời gian còn lại",
        _P.LVD_OPEN: "LVD đã ngắt",
        _P.LVD_CLOSED: "LVD đã đóng lại",
        _P.BATTERY_TEMPERATURE: "nhiệt độ ắc quy {celsius:.1f} °C",
        _P.BATTERY_TEMPERATURE_UNKNOWN: "không đọc được nhiệt độ ắc quy",
        _P.GENERATOR_NOT_RUNNING: "mất điện lưới và máy phát không chạy",
        _P.GENERATOR_RUNNING: "máy phát đang chạy",
        _P.FUEL: "nhiên liệu {ratio:pct}",
        _P.FUEL_UNKNOWN: "không đọc được mức nhiên liệu",
        _P.RECTIFIER_FAILED: "thiết bị báo hỏng bộ chỉnh lưu",
        _P.RECTIFIERS_OK: "bộ chỉnh lưu bình thường",
        _P.LINK_DOWN: "{interface} mất kết nối",
        _P.LINK_DOWN_ADMIN_UP: "{interface} mất kết nối (cổng đang bật)",
        _P.LINK_DOWN_ADMIN_DOWN: "{interface} mất kết nối (cổng đã tắt)",
        _P.LINK_UP: "{interface} có kết nối",
        _P.LINK_DOWN_TO: "{interface} (tới {to}) mất kết nối",
        _P.LINK_DOWN_ADMIN_UP_TO: "{interface} (tới {to}) mất kết nối (cổng đang bật)",
        _P.LINK_DOWN_ADMIN_DOWN_TO: "{interface} (tới {to}) mất kết nối (cổng đã tắt)",
        _P.LINK_UP_TO: "{interface} (tới {to}) có kết nối",
        _P.NO_ANSWER: "{error:error} {polls} lần hỏi liên tiếp",
        _P.ANSWERING_AGAIN: "trả lời lại",
        _P.ANSWERING_AGAIN_AFTER: "trả lời lại sau {polls} lần hỏi lỗi",
        _P.TRAP: "trap {name} từ {source}",
        _P.TRAP_SUBJECT_DOWN: "{subject} mất kết nối: trap {name} từ {source}",
        _P.TRAP_SUBJECT_UP: "{subject} có kết nối: trap {name} từ {source}",
    },
    poll_errors={"timeout": "không trả lời", "auth": "sai thông tin xác thực", "network": "lỗi mạng"},
    output_sources={"normal": "bình thường", "battery": "ắc quy", "bypass": "bypass", "none": "không có",
                    "other": "khác", "booster": "tăng áp (booster)", "reducer": "giảm áp (reducer)",
                    "unknown": "không rõ"},
    tags={MessageKind.PAGE: "Sự cố", MessageKind.UPDATE: "Cập nhật", MessageKind.REMINDER: "Nhắc lại",
          MessageKind.RESOLVED: "Đã khắc phục", MessageKind.ACKNOWLEDGED: "Đã tiếp nhận",
          MessageKind.SHIFT: "Ca trực", MessageKind.TEST: "Thử"},
    channels={"sms_gateway": "SMS", "email": "email", "telegram": "Telegram", "slack": "Slack",
              "webhook": "webhook", "alertmanager": "Alertmanager"},
    channel_services={"sms_gateway": "cổng SMS", "email": "máy chủ email", "telegram": "Telegram",
                      "slack": "Slack", "webhook": "webhook", "alertmanager": "Alertmanager"},
    labels={
        "site": "Trạm",
        "kind": "Loại trạm",
        "location": "Địa bàn",
        "address": "Địa chỉ",
        "condition": "Tình trạng",
        "since": "Từ lúc",
        "battery": "Ắc quy",
        "acknowledged": "Tiếp nhận",
        "resolved": "Khắc phục",
        "criticality": "Mức độ quan trọng",
        "restricted": "Khu vực hạn chế",
        "power": "Cấp điện",
        "map": "Bản đồ",
        "also_paged": "Đã báo cho",
        "level": "Cấp leo thang",
        "time_zone": "Giờ theo",
        "ack": "Xác nhận tiếp nhận",
        "group": "Nhóm",
        "new_sites": "Trạm mới vào nhóm",
        "other_sites": "Các trạm khác trong nhóm",
        "roster": "Lịch trực",
        "shift_start": "Bắt đầu",
        "shift_end": "Kết thúc",
    },
    phrases={
        "battery_left": "còn khoảng {left}, dự kiến cạn lúc {at} (ước tính theo {method})",
        "battery_gone": "có thể đã cạn từ {at} (ước tính theo {method})",
        "ago": "{at} (đã {duration})",
        "at_by": "{who} lúc {at}",
        "resolved_after": "lúc {at}, kéo dài {duration}",
        "restricted_note": "{note}. Mang theo giấy phép ra vào và đồ bảo hộ.",
        "customer_id": "mã khách hàng {value}",
        "feeder": "lộ/xuất tuyến {value}",
        "transformer": "trạm biến áp {value}",
        "meter": "công tơ {value}",
        "phone": "điện thoại {value}",
        "flapping": "chập chờn",
        "subject_to": "{subject} (tới {to})",
        "page_one": "Cần xử lý: {condition} tại {site}.",
        "page_group": "{count} có sự cố tại {group}: {conditions}.",
        "update": "Thêm {new} vào nhóm {group} (tổng {count}).",
        "remind_open": "Chưa ai xác nhận tiếp nhận sau {duration}.",
        "remind_acked": "{who} đã tiếp nhận nhưng sự cố chưa khắc phục sau {duration}.",
        "resolved_one": "Đã khắc phục: {condition} tại {site}, kéo dài {duration}.",
        "resolved_group": "Đã khắc phục {resolved}/{count} tại {group}.",
        "acked": "{who} đã xác nhận tiếp nhận lúc {at}. Bạn không cần xử lý trừ khi được báo lại.",
        "shift": "Ca trực của bạn ({roster}) bắt đầu lúc {start}, kết thúc lúc {end}.",
        "test": "Đây là tin nhắn thử của sitewatch: kênh này hoạt động.",
        "sites": "{n} trạm",
        "more_sites": "+{n} trạm khác",
        "several_areas": "nhiều địa bàn",
        "since_short": "từ {at}",
        "battery_short": "ắc quy còn ~{left}",
        "battery_gone_short": "ắc quy có thể đã cạn",
        "ack_short": "Xác nhận: {url}",
        "acked_short": "{who} đã tiếp nhận",
        "resolved_short": "khắc phục lúc {at}",
        "shift_short": "{roster} từ {start} đến {end}",
        "lasted_short": "kéo dài {duration}",
        "escalated": "Đã chuyển lên cấp {level} vì chưa ai xác nhận tiếp nhận ở cấp trước.",
        "update_one": "Cập nhật tình trạng {count} tại {group}: {conditions}.",
        "update_short": "+{new}, tổng {count} – {group}",
        "resolved_group_short": "{resolved}/{count} {group}",
        "one_site": "1 trạm",
        "group_head": "{count} tại {group}",
        "fallback_note": "{channel} không gửi được từ {since}; tin này gửi qua {instead} thay thế.",
        "late_note": "Tin báo trước đó không gửi được vì {channel} bị lỗi.",
    },
    ack_page={
        "title": "Xác nhận tiếp nhận sự cố",
        "intro": "Bạn ({person}) sắp xác nhận tiếp nhận:",
        "group": "Xác nhận áp dụng cho cả nhóm: mọi sự cố của nhóm tại thời điểm bạn bấm xác nhận.",
        "note": "Khi bạn xác nhận, hệ thống ngừng báo lên các cấp tiếp theo.",
        "button": "Xác nhận tiếp nhận",
        "done_title": "Kết quả xác nhận",
        "acked_now": "đã xác nhận tiếp nhận",
        "acked_before": "đã được {who} xác nhận lúc {at}",
        "resolved": "đã khắc phục lúc {at}",
        "not_found": "không tìm thấy sự cố #{id}",
        "nothing": "Không còn sự cố nào cần xác nhận.",
        "error_title": "Không thể xác nhận",
        "expired": "Liên kết đã hết hạn lúc {at}. Hãy dùng liên kết trong tin nhắn mới nhất, "
                   "hoặc gọi trực điều hành. Không có gì được xác nhận.",
        "invalid": "Liên kết xác nhận không hợp lệ (bị cắt ngắn hoặc bị sửa). Không có gì được xác nhận.",
        "not_configured": "Máy chủ này chưa cấu hình liên kết xác nhận. Không có gì được xác nhận.",
        "form_mismatch": "Biểu mẫu không khớp với liên kết. Không có gì được xác nhận.",
    },
    day="ngày", hour="giờ", minute="phút", under_a_minute="dưới 1 phút", months=None,
)

EN = Vocabulary(
    language="en",
    conditions={
        Condition.MAINS_LOST: "mains power lost",
        Condition.ON_BATTERY: "running on battery",
        Condition.BATTERY_LOW: "battery low",
        Condition.BATTERY_RUNTIME_LOW: "battery runtime low",
        Condition.BATTERY_DEPLETED: "battery depleted",
        Condition.LVD_OPEN: "low-voltage disconnect open (load or battery cut)",
        Condition.BATTERY_TEMPERATURE_HIGH: "battery temperature high",
        Condition.GENERATOR_FAILED: "generator not running",
        Condition.FUEL_LOW: "generator fuel low",
        Condition.RECTIFIER_FAILED: "rectifier failed",
        Condition.LINK_DOWN: "transmission link down",
        Condition.SITE_UNREACHABLE: "site unreachable (no SNMP response)",
    },
    kinds={
        SiteKind.NOC_BUILDING: "network management and operation building",
        SiteKind.TELECOM_STATION: "telecom station",
        SiteKind.FIXED_STATION: "fixed telecom station",
        SiteKind.BTS: "mobile base station (BTS)",
        SiteKind.POST_OFFICE: "post office / postal transaction point",
    },
    station_levels={StationLevel.INTERNATIONAL: "international", StationLevel.REGIONAL: "regional",
                    StationLevel.PROVINCIAL: "provincial", StationLevel.DISTRICT: "district"},
    station_with_level="{level} telecom station",
    criticality={Criticality.NORMAL: "normal", Criticality.HIGH: "high", Criticality.CRITICAL: "critical"},
    severity={Severity.INFO: "info", Severity.WARNING: "warning", Severity.MAJOR: "major",
              Severity.CRITICAL: "critical"},
    runtime_methods={
        "reported": "the device's own figure",
        "charge_trend": "the battery charge trend",
        "voltage_trend": "the battery voltage trend",
        "capacity": "capacity (Ah) and load current",
        "load": "capacity and the configured typical load",
    },
    readings={
        _P.MAINS_ONE_PHASE: "mains {volts} V (single phase)",
        _P.MAINS_PHASES: "mains {volts} V on {phases} phases",
        _P.MAINS_LOST: "mains lost",
        _P.MAINS_PRESENT: "mains present",
        _P.MAINS_LOST_ON_BATTERY: "mains lost (on battery, no mains reading)",
        _P.MAINS_PRESENT_NOT_ON_BATTERY: "mains present (not on battery)",
        _P.ON_BATTERY: "on battery",
        _P.ON_BATTERY_FOR: "on battery for {seconds:duration}",
        _P.ON_MAINS: "on mains",
        _P.OUTPUT_SOURCE: "output {source:output}",
        _P.CHARGE: "charge {ratio:pct}",
        _P.BATTERY_STATUS_LOW: "battery reports low",
        _P.BATTERY_STATUS_DEPLETED: "battery reports depleted",
        _P.CELL_VOLTAGE: "{cell_volts:.2f} V/cell ({volts:.1f} V)",
        _P.RUNTIME_LEFT: "~{seconds:duration} left (from {method:method})",
        _P.RUNTIME_THRESHOLD: "runtime ~{seconds:duration} left (from {method:method}), threshold {threshold:duration}",
        _P.RUNTIME_UNKNOWN: "runtime unknown",
        _P.LVD_OPEN: "low-voltage disconnect open",
        _P.LVD_CLOSED: "low-voltage disconnect closed",
        _P.BATTERY_TEMPERATURE: "battery {celsius:.1f} °C",
        _P.BATTERY_TEMPERATURE_UNKNOWN: "battery temperature unknown",
        _P.GENERATOR_NOT_RUNNING: "mains lost and generator not running",
        _P.GENERATOR_RUNNING: "generator running",
        _P.FUEL: "fuel {ratio:pct}",
        _P.FUEL_UNKNOWN: "fuel level unknown",
        _P.RECTIFIER_FAILED: "rectifier failure reported",
        _P.RECTIFIERS_OK: "rectifiers ok",
        _P.LINK_DOWN: "{interface} down",
        _P.LINK_DOWN_ADMIN_UP: "{interface} down (admin up)",
        _P.LINK_DOWN_ADMIN_DOWN: "{interface} down (admin down)",
        _P.LINK_UP: "{interface} up",
        _P.LINK_DOWN_TO: "{interface} (to {to}) down",
        _P.LINK_DOWN_ADMIN_UP_TO: "{interface} (to {to}) down (admin up)",
        _P.LINK_DOWN_ADMIN_DOWN_TO: "{interface} (to {to}) down (admin down)",
        _P.LINK_UP_TO: "{interface} (to {to}) up",
        _P.NO_ANSWER: "no answer for {polls} polls ({error:error})",
        _P.ANSWERING_AGAIN: "answering again",
        _P.ANSWERING_AGAIN_AFTER: "answering again after {polls} failed polls",
        _P.TRAP: "{name} from {source}",
        _P.TRAP_SUBJECT_DOWN: "{subject} down: {name} from {source}",
        _P.TRAP_SUBJECT_UP: "{subject} up: {name} from {source}",
    },
    poll_errors={"timeout": "timeout", "auth": "authentication failed", "network": "network error"},
    output_sources={"normal": "normal", "battery": "battery", "bypass": "bypass", "none": "none", "other": "other",
                    "booster": "booster", "reducer": "reducer", "unknown": "unknown"},
    tags={MessageKind.PAGE: "Incident", MessageKind.UPDATE: "Update", MessageKind.REMINDER: "Reminder",
          MessageKind.RESOLVED: "Resolved", MessageKind.ACKNOWLEDGED: "Acknowledged",
          MessageKind.SHIFT: "On call", MessageKind.TEST: "Test"},
    channels={"sms_gateway": "SMS", "email": "email", "telegram": "Telegram", "slack": "Slack",
              "webhook": "webhook", "alertmanager": "Alertmanager"},
    channel_services={"sms_gateway": "SMS gateway", "email": "email server", "telegram": "Telegram",
                      "slack": "Slack", "webhook": "webhook", "alertmanager": "Alertmanager"},
    labels={
        "site": "Site",
        "kind": "Kind",
        "location": "Location",
        "address": "Address",
        "condition": "Condition",
        "since": "Since",
        "battery": "Battery",
        "acknowledged": "Acknowledged",
        "resolved": "Resolved",
        "criticality": "Criticality",
        "restricted": "Restricted area",
        "power": "Power supply",
        "map": "Map",
        "also_paged": "Also paged",
        "level": "Escalation level",
        "time_zone": "Times in",
        "ack": "Acknowledge",
        "group": "Group",
        "new_sites": "Newly joined",
        "other_sites": "Other sites in the group",
        "roster": "Roster",
        "shift_start": "Starts",
        "shift_end": "Ends",
    },
    phrases={
        "battery_left": "about {left} left, predicted empty at {at} (estimated from {method})",
        "battery_gone": "may be empty since {at} (estimated from {method})",
        "ago": "{at} ({duration} ago)",
        "at_by": "{who} at {at}",
        "resolved_after": "at {at}, lasted {duration}",
        "restricted_note": "{note}. Bring your access permit and protective equipment.",
        "customer_id": "customer id {value}",
        "feeder": "feeder {value}",
        "transformer": "transformer {value}",
        "meter": "meter {value}",
        "phone": "phone {value}",
        "flapping": "flapping",
        "subject_to": "{subject} (to {to})",
        "page_one": "Action needed: {condition} at {site}.",
        "page_group": "{count} with incidents in {group}: {conditions}.",
        "update": "{new} joined the group {group} ({count} in all).",
        "remind_open": "Nobody has acknowledged after {duration}.",
        "remind_acked": "{who} acknowledged, but the incident is still not resolved after {duration}.",
        "resolved_one": "Resolved: {condition} at {site}, lasted {duration}.",
        "resolved_group": "{resolved} of {count} resolved in {group}.",
        "acked": "{who} acknowledged at {at}. No action is needed from you unless you are paged again.",
        "shift": "Your on-call shift ({roster}) starts at {start} and ends at {end}.",
        "test": "This is a test message from sitewatch: this channel works.",
        "sites": "{n} sites",
        "more_sites": "+{n} more sites",
        "several_areas": "several areas",
        "since_short": "since {at}",
        "battery_short": "battery ~{left} left",
        "battery_gone_short": "battery may be empty",
        "ack_short": "Ack: {url}",
        "acked_short": "{who} acknowledged",
        "resolved_short": "resolved at {at}",
        "shift_short": "{roster} from {start} to {end}",
        "lasted_short": "lasted {duration}",
        "escalated": "Escalated to level {level}: nobody acknowledged at the previous level.",
        "update_one": "Update on {count} in {group}: {conditions}.",
        "update_short": "+{new}, {count} in all – {group}",
        "resolved_group_short": "{resolved}/{count} {group}",
        "one_site": "1 site",
        "group_head": "{count} in {group}",
        "fallback_note": "{channel} down since {since}; sent by {instead} instead.",
        "late_note": "This was not delivered earlier because the {channel} was down.",
    },
    ack_page={
        "title": "Acknowledge incident",
        "intro": "You ({person}) are about to acknowledge:",
        "group": "This covers the whole group: every incident in it when you confirm.",
        "note": "Once you acknowledge, escalation to the next levels stops.",
        "button": "Acknowledge",
        "done_title": "Acknowledgement",
        "acked_now": "acknowledged",
        "acked_before": "already acknowledged by {who} at {at}",
        "resolved": "already resolved at {at}",
        "not_found": "incident #{id} not found",
        "nothing": "Nothing left to acknowledge.",
        "error_title": "Cannot acknowledge",
        "expired": "This link expired at {at}. Use the link in the latest message, or call the operations "
                   "duty desk. Nothing was acknowledged.",
        "invalid": "This acknowledge link is not valid (cut off or altered). Nothing was acknowledged.",
        "not_configured": "Acknowledge links are not configured on this server. Nothing was acknowledged.",
        "form_mismatch": "The form does not match the link. Nothing was acknowledged.",
    },
    day="d", hour="h", minute="min", under_a_minute="under 1 min",
    months=("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
)

LANGUAGES: Mapping[str, Vocabulary] = {"vi": VI, "en": EN}
DEFAULT_LANGUAGE = "vi"


def vocabulary(language: str | None) -> Vocabulary:
    """The vocabulary for ``language`` ("vi", "en", "en-US" ...); unknown languages get Vietnamese."""
    key = (language or "").strip().lower().replace("_", "-").split("-")[0]
    return LANGUAGES.get(key, LANGUAGES[DEFAULT_LANGUAGE])
