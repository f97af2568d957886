"""Templates in other languages: German, French, Spanish, Portuguese, Chinese, Japanese, Russian
(several per task type each), plus Italian and Korean (a few). ``{lcomp}`` is a component named in
that language; the other slots are the shared English ones (technologies keep their names).
"""

from templates_intl_latin import LATIN
from templates_intl_other import OTHER

LCOMP = {
    "de": ["Authentifizierungsmodul", "Zahlungsdienst", "Warenkorb", "Scheduler", "Datenimport", "Benutzerverwaltung", "Suchfunktion", "Berichtsgenerator", "Login-Formular", "Rechnungsmodul", "Paginierung", "Cache-Schicht", "Bestellservice", "Benachrichtigungsdienst"],
    "fr": ["module d'authentification", "service de paiement", "panier", "planificateur", "import CSV", "gestion des utilisateurs", "moteur de recherche", "générateur de rapports", "formulaire de connexion", "module de facturation", "pagination", "cache", "service de commandes", "service de notifications"],
    "es": ["módulo de autenticación", "servicio de pagos", "carrito", "planificador", "importador CSV", "gestión de usuarios", "buscador", "generador de informes", "formulario de login", "módulo de facturación", "paginación", "caché", "servicio de pedidos", "servicio de notificaciones"],
    "pt": ["módulo de autenticação", "serviço de pagamentos", "carrinho", "agendador", "importador de CSV", "gestão de usuários", "busca", "gerador de relatórios", "formulário de login", "módulo de faturamento", "paginação", "cache", "serviço de pedidos", "serviço de notificações"],
    "zh": ["登录模块", "支付服务", "购物车", "调度器", "数据导入", "用户管理", "搜索功能", "报表生成器", "订单服务", "缓存层", "消息推送", "权限模块", "分页组件", "日志系统"],
    "ja": ["認証モジュール", "決済サービス", "カート", "スケジューラ", "CSVインポート", "ユーザー管理", "検索機能", "レポート生成", "注文サービス", "キャッシュ層", "通知サービス", "権限管理", "ページネーション", "ログ基盤"],
    "ru": ["модуль авторизации", "платёжный сервис", "корзина", "планировщик", "импорт CSV", "управление пользователями", "поиск", "генератор отчётов", "сервис заказов", "слой кэша", "сервис уведомлений", "модуль прав доступа", "пагинация", "система логирования"],
    "it": ["modulo di autenticazione", "servizio pagamenti", "carrello", "scheduler", "importazione CSV", "gestione utenti"],
    "ko": ["로그인 모듈", "결제 서비스", "장바구니", "스케줄러", "CSV 가져오기", "사용자 관리"],
}

# In LCOMP's order (compose.py draws them in this order, so the generated corpus stays the same).
INTL: dict[str, dict[str, list[str]]] = {lang: {**LATIN, **OTHER}[lang] for lang in LCOMP}
