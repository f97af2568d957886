"""Templates in other languages: German, French, Spanish, Portuguese, Chinese, Japanese, Russian
(several per task type each), plus Italian and Korean (a few). ``{lcomp}`` is a component named in
that language; the other slots are the shared English ones (technologies keep their names).
"""

from templates_codex import _lines

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

INTL: dict[str, dict[str, list[str]]] = {
    "de": {
        "code_generation": _lines("""
            Implementiere das {lcomp} in {tech}
            Füge eine CSV-Exportfunktion zum {lcomp} hinzu
            Schreib eine {lang}-Funktion, die E-Mail-Adressen validiert
            Neue Funktion: Benutzer sollen ihr Profilbild hochladen können
            Erstelle einen REST-Endpunkt für das {lcomp}
        """),
        "code_review": _lines("""
            Bitte reviewe meinen Pull Request #{pr}
            Kannst du den Code im {lcomp} auf Fehler prüfen? Nur Review, keine Änderungen
            Code-Review für das {lcomp}, Fokus auf Sicherheit
            Schau dir meine Änderungen in {path} an, bevor ich merge
        """),
        "refactoring": _lines("""
            Refaktoriere das {lcomp}, ohne das Verhalten zu ändern
            Räum den Code im {lcomp} auf und entferne Duplikate
            Teile die riesige Klasse im {lcomp} in kleinere Module auf
            Stell das {lcomp} auf async/await um, ohne die Logik zu ändern
        """),
        "debugging": _lines("""
            Im {lcomp} tritt {error} auf, bitte den Fehler beheben
            Das {lcomp} stürzt beim Start ab: {error}
            Warum wirft {func} eine Exception? Bitte finden und beheben
            Fehler beheben: {error} beim Speichern
            Der Build schlägt fehl, bitte reparieren
        """),
        "testing": _lines("""
            Schreib Unit-Tests für {func} mit Grenzfällen wie sehr großen Werten
            Füge Integrationstests für das {lcomp} hinzu
            Die Testabdeckung im {lcomp} ist zu niedrig, bitte Tests ergänzen
            Der Test im {lcomp} ist instabil (flaky), bitte stabilisieren
        """),
        "performance_optimization": _lines("""
            Das {lcomp} ist zu langsam, bitte optimieren
            Reduziere die Antwortzeit vom {lcomp}
            Beschleunige die Funktion {func}, sie ist bei großen Eingaben zu langsam
            Optimiere den Speicherverbrauch des {lcomp}
        """),
        "analysis": _lines("""
            Analysiere die Kündigungsdaten und finde die Hauptgründe
            Werte die Umfrage unter Entwicklern aus
            Was sagen die Metriken über die Latenz des {lcomp}? Bitte auswerten
        """),
        "research": _lines("""
            Recherchiere aktuelle Best Practices für {research_topic} und fasse sie mit Quellen zusammen
            Finde heraus, welche Alternativen es zu {tech} gibt, mit Vor- und Nachteilen
            Fasse die wichtigsten Änderungen in {tech} {version} zusammen
            Literaturrecherche zu {research_topic}
        """),
        "documentation": _lines("""
            Dokumentiere das {lcomp} in der README
            Schreib eine Anleitung zur Installation unter Linux
            Ergänze Docstrings für alle öffentlichen Funktionen in {path}
            Schreib die Dokumentation für die Konfigurationsoptionen
        """),
        "explanation": _lines("""
            Wie funktioniert eigentlich {concept}? Bitte mit einem kleinen Beispiel erklären
            Was ist der Unterschied zwischen {concept} und {concept2}?
            Kannst du mir erklären, was dieser Code macht? {snippet}
            Was bedeutet die Fehlermeldung {error}? Ich will es nur verstehen
        """),
        "architecture": _lines("""
            Wie sollte die Gesamtarchitektur für {system} aussehen?
            Wie sollten wir {system} architektonisch aufbauen? Bitte Komponenten und Trade-offs
            {tech} oder {tech2} für unsere Events? Bitte abwägen und eine Empfehlung geben
            Entwirf eine skalierbare Systemarchitektur für {system}
        """),
        "design": _lines("""
            Entwirf das Datenbankschema für {domain}
            Entwirf die REST-API und das Datenmodell für {domain}
            Wie sollte die Schnittstelle zwischen {lcomp} und Backend aussehen? Bitte API-Design vorschlagen
        """),
        "planning": _lines("""
            Erstelle einen Migrationsplan {migration}
            Plane die Roadmap für das nächste Jahr
            Wir brauchen eine Strategie, um die Cloud-Kosten um ein Drittel zu senken. Was zuerst?
            Erstelle einen schrittweisen Plan für die Einführung von {tech}
        """),
        "multi_step": _lines("""
            Aktualisiere {tech} in allen {n_small} Diensten: erst das Basis-Image, dann jeden Dienst bauen, Smoke-Tests, dann Region für Region ausrollen
            Führe den Rollout in Schritten durch: Schema ändern, API anpassen, Clients aktualisieren, aufräumen
        """),
    },
    "fr": {
        "code_generation": _lines("""
            Implémente le {lcomp} en {tech}
            Ajoute un export CSV au {lcomp}
            Écris une fonction {lang} qui valide les adresses e-mail
            Crée un endpoint REST pour le {lcomp}
            Ajoute la possibilité de téléverser un avatar
        """),
        "code_review": _lines("""
            Peux-tu relire ma pull request #{pr} ?
            Fais une revue de code du {lcomp}, surtout la sécurité
            Relis mes modifications dans {path} avant que je merge
            Revue de code : vérifie la gestion des erreurs dans le {lcomp}
        """),
        "refactoring": _lines("""
            Refactorise le {lcomp} sans changer le comportement
            Nettoie le code du {lcomp} et supprime les doublons
            Découpe la classe géante du {lcomp} en plusieurs modules
            Migre le {lcomp} vers async/await
        """),
        "debugging": _lines("""
            Le projet ne compile plus depuis la mise à jour de {tech}, corrige les erreurs
            Corrige le bug dans le {lcomp} : {error}
            Le {lcomp} plante au démarrage, trouve pourquoi et corrige
            Pourquoi {func} renvoie une erreur ? Corrige-le
            Le build échoue sur la CI, répare-le
        """),
        "testing": _lines("""
            Écris des tests unitaires pour {func} avec des cas limites
            Ajoute des tests unitaires pour {func}
            Augmente la couverture de tests du {lcomp}
            Le test du {lcomp} est instable, rends-le déterministe
        """),
        "performance_optimization": _lines("""
            Optimise le {lcomp}, il est trop lent
            Réduis le temps de réponse du {lcomp}
            Accélère la fonction {func}, elle est trop lente sur de gros volumes
            Réduis la consommation mémoire du {lcomp}
        """),
        "analysis": _lines("""
            Analyse les ventes du dernier trimestre et résume les tendances
            Analyse les logs d'hier et dis-moi quelles erreurs sont les plus fréquentes
            Que disent les métriques sur la latence du {lcomp} ?
        """),
        "research": _lines("""
            Fais un résumé des nouveautés de {tech} {version} avec des liens vers les sources
            Recherche les bonnes pratiques pour {research_topic} avec des sources
            Quelles sont les alternatives à {tech} ? Fais une veille avec avantages et inconvénients
            Revue de la littérature sur {research_topic}
        """),
        "documentation": _lines("""
            Documente le {lcomp} dans le README
            Rédige le guide d'installation sous Linux
            Ajoute des docstrings à toutes les fonctions publiques de {path}
            Rédige la documentation des options de configuration
        """),
        "explanation": _lines("""
            Explique-moi comment fonctionne {concept}
            Quelle est la différence entre {concept} et {concept2} ?
            Peux-tu m'expliquer ce que fait ce code ? {snippet}
            Que signifie l'erreur {error} ? Je veux juste comprendre
        """),
        "architecture": _lines("""
            Conçois l'architecture de {system}
            Propose une architecture scalable pour {system}, avec les compromis
            {tech} ou {tech2} pour nos événements ? Pèse le pour et le contre et recommande
            Comment découper {system} en services ? Propose l'architecture
        """),
        "design": _lines("""
            Propose le schéma des tables pour {domain}
            Conçois le schéma de base de données pour {domain}
            Propose un design d'API REST pour le {lcomp}
        """),
        "planning": _lines("""
            Établis un plan de migration {migration}
            Planifie la feuille de route de l'année prochaine
            Propose une stratégie pour réduire la facture cloud d'un tiers
            Fais un plan progressif pour adopter {tech}
        """),
        "multi_step": _lines("""
            Mets à jour {tech} partout : d'abord l'image de base, puis chaque service, les tests de fumée, et le déploiement région par région
            Enchaîne les étapes : changer le schéma, adapter l'API, publier les clients, puis nettoyer l'ancien champ
        """),
    },
    "es": {
        "code_generation": _lines("""
            Implementa el {lcomp} en {tech}
            Añade exportación a CSV en el {lcomp}
            Escribe una función en {lang} que valide correos electrónicos
            Crea un endpoint REST para el {lcomp}
            Agrega la opción de subir una foto de perfil
        """),
        "code_review": _lines("""
            ¿Puedes revisar mi pull request #{pr}?
            Haz una revisión de código del {lcomp}, sobre todo seguridad
            Revisa mis cambios en {path} antes de hacer merge
            Revisión de código: comprueba el manejo de errores del {lcomp}
        """),
        "refactoring": _lines("""
            Reescribe el {lcomp} con async/await manteniendo el mismo comportamiento
            Refactoriza el {lcomp} sin cambiar el comportamiento
            Limpia el código del {lcomp} y elimina duplicados
            Divide la clase gigante del {lcomp} en módulos más pequeños
        """),
        "debugging": _lines("""
            Arregla el error en el {lcomp}: {error}
            El {lcomp} se cae al arrancar, encuentra la causa y corrígelo
            ¿Por qué {func} lanza una excepción? Arréglalo
            El {lcomp} {symptom}, corrígelo por favor
            El build falla en CI, arréglalo
        """),
        "testing": _lines("""
            Escribe pruebas unitarias para {func} con casos límite
            Añade tests de integración para el {lcomp}
            Aumenta la cobertura de pruebas del {lcomp}
            El test del {lcomp} es inestable, hazlo determinista
        """),
        "performance_optimization": _lines("""
            Optimiza el {lcomp}, va muy lento
            Reduce el tiempo de respuesta del {lcomp}
            Acelera la función {func}, es lenta con entradas grandes
            Reduce el consumo de memoria del {lcomp}
        """),
        "analysis": _lines("""
            Analiza las ventas del último trimestre y resume las tendencias
            Analiza los logs de ayer y dime qué errores son los más frecuentes
            ¿Qué dicen las métricas sobre la latencia del {lcomp}?
        """),
        "research": _lines("""
            Investiga las mejores prácticas para {research_topic} y resúmelas con enlaces
            ¿Qué alternativas hay a {tech}? Investiga pros y contras
            Resume los cambios principales de {tech} {version} que nos afectan
            Revisión bibliográfica sobre {research_topic}
        """),
        "documentation": _lines("""
            Documenta el {lcomp} en el README
            Escribe la guía de instalación en Linux
            Añade docstrings a todas las funciones públicas de {path}
            Redacta la documentación de las opciones de configuración
        """),
        "explanation": _lines("""
            No necesito que lo arregles: ¿qué quiere decir {error}?
            Explícame cómo funciona {concept}
            ¿Cuál es la diferencia entre {concept} y {concept2}?
            ¿Me explicas qué hace este código? {snippet}
            ¿Por qué {tech} usa {concept}? Explícalo con un ejemplo
        """),
        "architecture": _lines("""
            Diseña la arquitectura de {system}
            Propón una arquitectura escalable para {system} y sus compromisos
            ¿{tech} o {tech2} para nuestros eventos? Evalúa y recomienda uno
            ¿Cómo dividirías {system} en servicios? Propón la arquitectura
        """),
        "design": _lines("""
            Diseña el esquema de base de datos para {domain}
            Diseña el modelo de datos y las APIs de {domain}
            Propón el diseño de la API REST del {lcomp}
        """),
        "planning": _lines("""
            Prepara un plan por etapas para migrar {migration}, con fechas y riesgos
            Planifica la hoja de ruta del año que viene
            Propón una estrategia para bajar un tercio el gasto en la nube
            Haz un plan por fases para adoptar {tech}
        """),
        "multi_step": _lines("""
            Actualiza {tech} en todos los servicios: primero la imagen base, luego cada servicio, pruebas de humo y despliegue por regiones
            Hazlo por pasos: cambiar el esquema, adaptar la API, publicar los clientes y limpiar el campo viejo
        """),
    },
    "pt": {
        "code_generation": _lines("""
            Implementa o {lcomp} em {tech}
            Adicione exportação para CSV no {lcomp}
            Escreva uma função em {lang} que valide e-mails
            Crie um endpoint REST para o {lcomp}
        """),
        "code_review": _lines("""
            Pode revisar meu pull request #{pr}?
            Faça uma revisão de código do {lcomp}, com foco em segurança
            Revise minhas alterações em {path} antes do merge
        """),
        "refactoring": _lines("""
            Refatore o {lcomp} sem mudar o comportamento
            Limpe o código do {lcomp} e remova duplicações
            Divida a classe enorme do {lcomp} em módulos menores
        """),
        "debugging": _lines("""
            Corrija o bug no {lcomp}: {error}
            O {lcomp} trava ao iniciar, descubra o motivo e corrija
            Por que {func} lança uma exceção? Conserte
            O build está falhando no CI, corrija
        """),
        "testing": _lines("""
            Escreva testes unitários para {func} com casos de borda
            Adicione testes de integração para o {lcomp}
            Aumente a cobertura de testes do {lcomp}
        """),
        "performance_optimization": _lines("""
            Otimize o {lcomp}, está muito lento
            Reduza o tempo de resposta do {lcomp}
            Acelere a função {func}, fica lenta com entradas grandes
        """),
        "analysis": _lines("""
            Analise as vendas do último trimestre e resuma as tendências
            Analise os logs de ontem e diga quais erros são mais frequentes
        """),
        "research": _lines("""
            Pesquise boas práticas para {research_topic} e resuma com links
            Quais são as alternativas ao {tech}? Pesquise prós e contras
            Resuma as principais mudanças do {tech} {version}
        """),
        "documentation": _lines("""
            Documente o {lcomp} no README
            Escreva o guia de instalação no Linux
            Escreva a documentação das opções de configuração
        """),
        "explanation": _lines("""
            Explique como funciona {concept}
            Qual é a diferença entre {concept} e {concept2}?
            Pode me explicar o que esse código faz? {snippet}
            O que significa o erro {error}? Só quero entender
        """),
        "architecture": _lines("""
            Projete a arquitetura de {system}
            Proponha uma arquitetura escalável para {system} com os trade-offs
            {tech} ou {tech2} para os nossos eventos? Avalie e recomende
        """),
        "design": _lines("""
            Projete o esquema do banco de dados para {domain}
            Desenhe o modelo de dados e as APIs de {domain}
            Proponha o design da API REST do {lcomp}
        """),
        "planning": _lines("""
            Crie um plano de migração {migration}
            Planeje o roadmap do ano que vem
            Proponha uma estratégia para reduzir os custos de nuvem em um terço
        """),
        "multi_step": _lines("""
            Faça em etapas: mudar o esquema, ajustar a API, publicar os clientes e depois limpar o campo antigo
        """),
    },
    "zh": {
        "code_generation": _lines("""
            用{tech}实现{lcomp}
            给{lcomp}加一个导出CSV的功能
            写一个{lang}函数，校验邮箱格式
            为{lcomp}新增一个REST接口
            实现用户上传头像的功能
        """),
        "code_review": _lines("""
            帮我审查一下这个PR #{pr}
            请对{lcomp}做一次代码审查，重点看安全问题
            合并之前帮我看看{path}里的改动有没有问题
            代码评审：检查{lcomp}的错误处理
        """),
        "refactoring": _lines("""
            重构{lcomp}，不要改变行为
            清理{lcomp}里重复的代码
            把{lcomp}里的大类拆成几个小模块
            把{lcomp}从回调改成async/await，逻辑不变
        """),
        "debugging": _lines("""
            修复{lcomp}里的bug：{error}
            {lcomp}启动就崩溃，找出原因并修复
            为什么{func}会抛异常？帮我修一下
            {lcomp}偶尔返回重复数据，请排查并修复
            CI构建失败了，修一下
        """),
        "testing": _lines("""
            为{func}写单元测试，包括输入为空和超长字符串的情况
            为{lcomp}编写集成测试
            提高{lcomp}的测试覆盖率
            {lcomp}的测试不稳定，请修复这个flaky测试
        """),
        "performance_optimization": _lines("""
            {lcomp}太慢了，优化一下性能
            缩短{lcomp}的响应时间
            {func}处理大量数据时太慢，请优化
            降低{lcomp}的内存占用
        """),
        "analysis": _lines("""
            分析一下{data}，列出最突出的几个问题
            分析上个季度的销售数据，总结趋势
            分析昨天的日志，找出最常见的错误
        """),
        "research": _lines("""
            调研一下{research_topic}的最佳实践，附上链接
            {tech}有哪些替代方案？调研一下优缺点
            总结{tech} {version}的主要变化
            做一份关于{research_topic}的文献综述
        """),
        "documentation": _lines("""
            给{lcomp}写文档，放到README里
            写一份在Linux上安装的说明文档
            为{path}里的所有公共函数补充注释和文档
        """),
        "explanation": _lines("""
            解释一下{concept}是怎么工作的
            {concept}和{concept2}有什么区别？
            这段代码是做什么的？帮我解释一下 {snippet}
            这个配置文件里的每一项是什么意思？请逐项说明 {snippet}
            这个报错{error}是什么意思？我只想弄明白
        """),
        "architecture": _lines("""
            为{system}设计一个高可用的系统架构
            设计{system}的整体架构
            {tech}还是{tech2}？权衡一下利弊并给出建议
            {system}应该拆成哪些服务？给出架构方案
        """),
        "design": _lines("""
            设计{domain}的数据库表结构
            设计{domain}的数据模型和API
            为{lcomp}设计REST API接口
        """),
        "planning": _lines("""
            制定{migration}的迁移计划
            规划明年的产品路线图
            制定一个把云成本降低三分之一的策略
            制定逐步引入{tech}的计划
        """),
        "multi_step": _lines("""
            分多步在所有服务里升级{tech}：先更新基础镜像，再逐个构建服务，跑冒烟测试，然后按区域发布
            分步骤完成：改表结构、改接口、发布客户端、清理旧字段
        """),
    },
    "ja": {
        "code_generation": _lines("""
            {tech}で{lcomp}を実装してください
            {lcomp}にCSVエクスポート機能を追加して
            メールアドレスを検証する{lang}の関数を書いて
            {lcomp}用のREST APIエンドポイントを作成
        """),
        "code_review": _lines("""
            プルリクエスト #{pr} のレビューをお願いします
            {lcomp}のコードレビューをしてください。特にセキュリティ
            マージ前に{path}の変更を確認してほしい
        """),
        "refactoring": _lines("""
            動作を変えずに{lcomp}をリファクタリングして
            {lcomp}の重複コードを整理して
            {lcomp}の巨大なクラスを小さなモジュールに分割して
        """),
        "debugging": _lines("""
            {lcomp}のバグを修正して：{error}
            {lcomp}が起動時にクラッシュする。原因を調べて直して
            {func}が例外を投げる理由を調べて修正して
            CIのビルドが失敗しているので直してください
        """),
        "testing": _lines("""
            {func}のユニットテストを書いて。境界値もカバーして
            {lcomp}の結合テストを追加して
            {lcomp}のテストカバレッジを上げて
        """),
        "performance_optimization": _lines("""
            {lcomp}が遅いので最適化して
            {lcomp}のレスポンス時間を短くして
            {func}が大きな入力で遅いので高速化して
        """),
        "analysis": _lines("""
            先四半期の売上データを分析して傾向をまとめて
            昨日のログを分析して、多いエラーを教えて
        """),
        "research": _lines("""
            {research_topic}のベストプラクティスを調査して、リンク付きでまとめて
            {tech}の代替手段を調査して、長所と短所を教えて
            {tech} {version}の主な変更点をまとめて
        """),
        "documentation": _lines("""
            {lcomp}のドキュメントをREADMEに書いて
            Linuxへのインストール手順をドキュメントにして
        """),
        "explanation": _lines("""
            {concept}の仕組みを説明して
            {concept}と{concept2}の違いは何ですか？
            このコードが何をしているか説明してください {snippet}
            このエラー{error}はどういう意味？理解したいだけです
        """),
        "architecture": _lines("""
            {system}のアーキテクチャを設計して
            {system}の全体構成を考えて、トレードオフも説明して
            {tech}と{tech2}のどちらを使うべき？トレードオフを検討して推奨して
        """),
        "design": _lines("""
            {domain}のデータベーススキーマを設計して
            {domain}のデータモデルとAPIを設計して
        """),
        "planning": _lines("""
            {migration}の移行計画を立てて
            来年のロードマップを作成して
            クラウド費用を3割減らすための戦略を計画して
        """),
        "multi_step": _lines("""
            段階的に進めて：スキーマ変更、API修正、クライアントのリリース、最後に古いフィールドを削除
        """),
    },
    "ru": {
        "code_generation": _lines("""
            Реализуй {lcomp} на {tech}
            Добавь экспорт в CSV в {lcomp}
            Напиши функцию на {lang}, которая проверяет email
            Создай REST-эндпоинт для {lcomp}
        """),
        "code_review": _lines("""
            Сделай ревью моего пулл-реквеста #{pr}
            Проведи код-ревью: {lcomp}, особенно безопасность
            Посмотри мои изменения в {path} перед мержем
        """),
        "refactoring": _lines("""
            Отрефактори {lcomp}, не меняя поведение
            Убери дублирование кода: {lcomp}
            Разбей огромный класс ({lcomp}) на модули поменьше
        """),
        "debugging": _lines("""
            Исправь баг: {lcomp} падает с ошибкой {error}
            {lcomp} падает при запуске, найди причину и почини
            Почему {func} выбрасывает исключение? Исправь
            Сборка в CI падает, почини
        """),
        "testing": _lines("""
            Напиши юнит-тесты для {func} с граничными случаями
            Добавь интеграционные тесты: {lcomp}
            Повысь покрытие тестами: {lcomp}
        """),
        "performance_optimization": _lines("""
            {lcomp} работает слишком медленно, оптимизируй
            Сократи время ответа: {lcomp}
            Ускорь функцию {func}, на больших данных она тормозит
        """),
        "analysis": _lines("""
            Проанализируй продажи за прошлый квартал и опиши тренды
            Проанализируй вчерашние логи и скажи, какие ошибки самые частые
        """),
        "research": _lines("""
            Исследуй лучшие практики для {research_topic} и сделай обзор со ссылками
            Какие есть альтернативы {tech}? Собери плюсы и минусы
            Кратко перечисли главные изменения в {tech} {version}
        """),
        "documentation": _lines("""
            Задокументируй {lcomp} в README
            Напиши инструкцию по установке на Linux
        """),
        "explanation": _lines("""
            Объясни, как работает {concept}
            В чём разница между {concept} и {concept2}?
            Объясни, что делает этот код {snippet}
            Что означает ошибка {error}? Хочу просто понять
        """),
        "architecture": _lines("""
            Спроектируй архитектуру: {system}
            Предложи масштабируемую архитектуру для {system} и компромиссы
            {tech} или {tech2} для наших событий? Взвесь и порекомендуй
        """),
        "design": _lines("""
            Спроектируй схему базы данных для {domain}
            Спроектируй модель данных и API для {domain}
        """),
        "planning": _lines("""
            Составь план миграции {migration}
            Спланируй дорожную карту на следующий год
            Предложи стратегию, как сократить расходы на облако на треть
        """),
        "multi_step": _lines("""
            Выполни по шагам: изменить схему, обновить API, выпустить клиенты, затем удалить старое поле
        """),
    },
    "it": {
        "code_generation": ["Implementa il {lcomp} in {tech}", "Aggiungi l'esportazione CSV al {lcomp}"],
        "code_review": ["Puoi fare la revisione della mia pull request #{pr}?"],
        "refactoring": ["Rifattorizza il {lcomp} senza cambiare il comportamento"],
        "debugging": ["Correggi il bug nel {lcomp}: {error}", "Il {lcomp} si blocca all'avvio, trova la causa e correggi"],
        "testing": ["Scrivi i test unitari per {func}"],
        "performance_optimization": ["Ottimizza il {lcomp}, è troppo lento"],
        "analysis": ["Analizza i dati di vendita dell'ultimo trimestre e riassumi le tendenze"],
        "research": ["Fai una ricerca sulle best practice per {research_topic}"],
        "documentation": ["Documenta il {lcomp} nel README", "Scrivi una guida per i nuovi sviluppatori"],
        "explanation": ["Spiegami come funziona {concept}", "Qual è la differenza tra {concept} e {concept2}?"],
        "architecture": ["Progetta l'architettura di {system}"],
        "design": ["Progetta lo schema del database per {domain}"],
        "planning": ["Prepara un piano di migrazione {migration} a fasi"],
        "multi_step": ["Procedi per passi: cambia lo schema, aggiorna l'API, rilascia i client, poi rimuovi il vecchio campo"],
    },
    "ko": {
        "code_generation": ["{tech}로 {lcomp} 구현해 주세요", "{lcomp}에 CSV 내보내기 기능 추가"],
        "code_review": ["PR #{pr} 코드 리뷰 부탁드립니다", "{path} 변경 사항을 머지 전에 검토해 주세요"],
        "refactoring": ["동작은 그대로 두고 {lcomp} 리팩토링 해주세요"],
        "debugging": ["{lcomp} 버그 수정: {error}", "{lcomp}가 시작할 때 크래시 납니다. 원인 찾아서 고쳐주세요"],
        "testing": ["{func}에 대한 단위 테스트 작성해 주세요"],
        "performance_optimization": ["{lcomp}가 너무 느려요. 성능 최적화 해주세요"],
        "analysis": ["지난 분기 매출 데이터를 분석하고 추세를 요약해 주세요"],
        "research": ["{research_topic} 모범 사례를 조사해서 링크와 함께 정리해 주세요"],
        "documentation": ["{lcomp} 사용법을 README에 문서화해 주세요"],
        "explanation": ["{concept}이 어떻게 동작하는지 설명해 주세요"],
        "architecture": ["{system} 아키텍처를 설계해 주세요"],
        "design": ["{domain}의 데이터베이스 스키마를 설계해 주세요"],
        "planning": ["{migration} 마이그레이션 계획을 단계별로 세워 주세요"],
        "multi_step": ["단계별로 진행해 주세요: 스키마 변경, API 수정, 클라이언트 배포, 마지막으로 예전 필드 삭제"],
    },
}
