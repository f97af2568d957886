"""Templates in German, French, Spanish and Portuguese (several per task type each) and Italian (a few);
see templates_intl.py."""

from templates_codex import _lines

LATIN: dict[str, dict[str, list[str]]] = {
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
}
