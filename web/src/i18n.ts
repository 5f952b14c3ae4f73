// English and Arabic. The layout follows `dir` on <html>; dates and numbers use Intl per locale.
export type Lang = "en" | "ar";

const ar: Record<string, string> = {
  "Sign in": "تسجيل الدخول",
  "User": "المستخدم",
  "Password": "كلمة المرور",
  "Sign out": "تسجيل الخروج",
  "live": "مباشر",
  "reconnecting": "إعادة الاتصال",
  "data stale since": "البيانات قديمة منذ",
  "Session ended: sign in again": "انتهت الجلسة: سجّل الدخول مجددًا",
  "Incidents": "الحوادث",
  "Units": "الوحدات",
  "Alerts": "التنبيهات",
  "Public warnings": "التحذيرات العامة",
  "New public warning": "تحذير عام جديد",
  "Cancel warning": "إلغاء التحذير",
  "Update": "تحديث",
  "Issue": "إصدار",
  "Event": "الحدث",
  "Headline": "العنوان",
  "Instruction": "التعليمات",
  "Audience": "الجمهور",
  "Expires": "ينتهي",
  "Area": "المنطقة",
  "Draw the area": "ارسم المنطقة",
  "Circle centre": "مركز الدائرة",
  "Detail": "التفاصيل",
  "New call": "بلاغ جديد",
  "Type": "النوع",
  "Priority": "الأولوية",
  "Location": "الموقع",
  "Address or place": "العنوان أو المكان",
  "Notes": "ملاحظات",
  "Create": "إنشاء",
  "Cancel": "إلغاء",
  "Search": "بحث",
  "Status": "الحالة",
  "Agency": "الجهة",
  "Kind": "الصنف",
  "Age": "العمر",
  "All": "الكل",
  "Open": "مفتوحة",
  "Recommendation": "التوصية",
  "Accept": "قبول",
  "Recommend": "أوصِ",
  "Timeline": "السجل الزمني",
  "Assigned units": "الوحدات المكلفة",
  "Messages": "الرسائل",
  "Send": "إرسال",
  "Add note": "إضافة ملاحظة",
  "Share with": "مشاركة مع",
  "Classify": "تصنيف",
  "Possible duplicate": "احتمال تكرار",
  "Layers": "الطبقات",
  "Command": "أمر",
  "Click the map to place the call": "انقر على الخريطة لتحديد موقع البلاغ",
  "Time in status": "المدة في الحالة",
  "Callsign": "النداء",
  "Resource requests": "طلبات الموارد",
  "Coverage": "التغطية",
  "Decline": "رفض",
  "Acknowledge": "إقرار",
  "pending": "قيد الانتظار",
  "omit": "استبعاد",
  "replace": "استبدال",
  "Assign": "تكليف",
  "unread": "غير مقروء",
  "no recommendation yet": "لا توصية بعد",
  "Language": "اللغة",
  "zones": "المناطق",
  "incidents": "الحوادث",
  "units": "الوحدات",
  "clusters": "تجميع",
  "new": "جديد",
  "triaged": "مفرز",
  "dispatched": "أُرسلت",
  "en_route": "في الطريق",
  "on_scene": "في الموقع",
  "resolved": "حُلّ",
  "closed": "مغلق",
  "cancelled": "ملغى",
  "merged": "مدمج",
  "available": "متاحة",
  "transporting": "تنقل مريضًا",
  "at_hospital": "في المستشفى",
  "out_of_service": "خارج الخدمة",
  "cleared": "انتهت",
  "Split": "فصل",
  "Alarms and calls": "الإنذارات والمكالمات",
  "follow": "تتبّع",
  "Time travel": "العودة بالزمن",
  "Past picture": "صورة سابقة",
  "past": "سابق",
  "read-only": "للقراءة فقط",
  "event": "الحدث",
  "Back to live": "العودة إلى المباشر",
  "As it was at": "كما كانت في",
  "withheld": "محجوب",
  "coverage": "التغطية",
  "move-ups": "إعادة التمركز",
  "move": "انقل",
  "CAP alerts received": "تنبيهات CAP الواردة",
  "priority": "الأولوية",
  "Operations": "العمليات",
  "Operation plan": "خطة العمليات",
  "Matrix": "المصفوفة",
  "ICS forms": "نماذج ICS",
  "Plan actions": "إجراءات الخطة",
  "No operation plan to show": "لا توجد خطة عمليات لعرضها",
  "phase": "المرحلة",
  "done": "منجزة",
  "late": "متأخرة",
  "blocked": "معطّلة",
  "postings not met": "تمركزات غير مستوفاة",
  "Approve": "اعتماد",
  "awaiting approval": "بانتظار الاعتماد",
  "Activate": "تفعيل",
  "Close the operation": "إغلاق العملية",
  "ended": "انتهت",
  "running": "جارية",
  "next deadline": "الموعد التالي",
  "Synchronization matrix": "مصفوفة التزامن",
  "Override reason": "سبب التجاوز",
  "sector": "القطاع",
  "after": "بعد",
  "opened by": "فتحتها",
  "Start": "بدء",
  "override": "تجاوز",
  "Done": "تم",
  "Cancel task": "إلغاء المهمة",
  "Decision points": "نقاط القرار",
  "fired": "انطلقت",
  "Fire": "إطلاق",
  "waiting": "بانتظار",
  "Situation reports": "تقارير الموقف",
  "Title": "العنوان",
  "Narrative": "السرد",
  "Draft a report": "صياغة تقرير",
  "planned": "مخططة",
  "in_progress": "قيد التنفيذ",
  "held": "معلّقة",
  "draft": "مسودة",
  "approved": "معتمدة",
  "active": "نشطة",
  "Channels": "القنوات",
  "Incident": "الحادث",
  "Operation": "العملية",
  "Sector": "القطاع",
  "delivered": "سُلّمت",
  "read": "قُرئت",
  "waiting for": "بانتظار",
  "Message (@ to mention)": "رسالة (@ للإشارة)",
};

let lang: Lang = (localStorage.getItem("ncc_lang") as Lang) || "en";

export function t(s: string): string {
  return lang === "ar" ? ar[s] ?? s : s;
}
export function currentLang(): Lang {
  return lang;
}
export function setLang(l: Lang): void {
  lang = l;
  localStorage.setItem("ncc_lang", l);
  document.documentElement.lang = l;
  document.documentElement.dir = l === "ar" ? "rtl" : "ltr";
}
const locale = () => (lang === "ar" ? "ar-EG" : "en-GB");
export function fmtTime(d: Date | string | number): string {
  const date = d instanceof Date ? d : new Date(d);
  if (Number.isNaN(date.getTime())) return "";
  return new Intl.DateTimeFormat(locale(), { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false }).format(date);
}
export function fmtDateTime(d: Date | string | number): string {
  const date = d instanceof Date ? d : new Date(d);
  if (Number.isNaN(date.getTime())) return "";
  return new Intl.DateTimeFormat(locale(), { dateStyle: "short", timeStyle: "medium", hour12: false }).format(date);
}
export function fmtNum(n: number, digits = 0): string {
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(n);
}
// "4:05" or "1:02:03", digits per locale.
export function fmtAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const hh = Math.floor(s / 3600), mm = Math.floor((s % 3600) / 60), ss = s % 60;
  const two = (n: number) => fmtNum(n).padStart(2, fmtNum(0));
  return hh ? `${fmtNum(hh)}:${two(mm)}:${two(ss)}` : `${fmtNum(mm)}:${two(ss)}`;
}
setLang(lang);
