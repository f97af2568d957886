"""Templates in Chinese, Japanese and Russian (several per task type each) and Korean (a few); see
templates_intl.py."""

from templates_codex import _lines

OTHER: dict[str, dict[str, list[str]]] = {
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
