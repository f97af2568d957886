"""Slot fillers for the corpus templates: components, technologies, errors, data, concepts, systems.

Every list is shared across task types wherever it can be, so that domain words (Kafka, auth,
checkout...) carry no label and the model learns the ask, not the topic.
"""


def _split(block: str) -> list[str]:
    return [part.strip() for part in block.replace("\n", "").split("|") if part.strip()]


COMPONENT = _split("""billing service|checkout page|importer|notification service|payment client|report builder
|rate limiter|session store|image upload pipeline|mailer|admin panel|settings screen|login page|cart service
|inventory module|audit trail|feature flag service|cache layer|job runner|API client|command-line tool
|config loader|expression parser|lexer|query builder|ORM layer|GraphQL resolvers|socket server|sync engine
|nightly export|PDF generator|translation layer|permissions module|plugin loader|metrics exporter
|log forwarder|search indexer|recommendations widget|order service|shipping quote service|invoice module
|onboarding wizard|file watcher|backup task|migration runner|release script|build pipeline
|password reset flow|registration page|comments section|attachment uploader|audio player|map screen
|support chat widget|calendar integration|pricing engine|VAT calculator|renewal worker|SAML integration
|OAuth callback|token refresher|retry middleware|HTTP wrapper|event dispatcher|outbox relay|queue consumer
|cron worker|thumbnail generator|address lookup|pager component|date helpers|currency helpers|url helpers
|markdown renderer|template engine|version resolver|package installer|lockfile reader|test runner
|seed data loader|tracking SDK|experiment bucketing|achievements service|lobby service|transcoding worker
|push sender|SMS sender|risk scoring|identity verification flow|ledger|settlement job|data pipeline
|ETL step|ingest API|stream processor|charts panel|side menu|theme switcher|dialog component|select box
|calendar picker|data grid|form validator|client-side router|global store|service worker|offline storage
|iOS login screen|QR code scanner|bluetooth module|firmware updater|device registry|telemetry agent
|alert rules|status endpoint|internal admin API|partner API|Python SDK|Terraform code|Helm chart
|container image|CI config|release workflow|Makefile|shell scripts|Ansible roles|nginx config
|load balancer setup|DNS setup|secrets loading|user service|profile service|search page|wishlist
|coupon engine|loyalty points service|reviews module|chat backend|email templates|webhook sender""")

TECH = _split("""React|Vue|Angular|Svelte|Next.js|Nuxt|Remix|Django|Flask|FastAPI|Rails|Laravel|Spring Boot
|Express|NestJS|ASP.NET Core|Phoenix|Gin|Actix|Axum|Kafka|RabbitMQ|NATS|Pulsar|Redis|Memcached|Postgres
|MySQL|SQLite|MongoDB|DynamoDB|Cassandra|ClickHouse|BigQuery|Snowflake|Elasticsearch|Meilisearch|Kubernetes
|Docker|Terraform|Pulumi|Nomad|AWS Lambda|ECS|Cloud Run|GKE|Azure Functions|gRPC|GraphQL|WebSockets
|Celery|Sidekiq|Airflow|Dagster|Spark|Flink|pandas|Polars|NumPy|TensorFlow|PyTorch|scikit-learn|LangChain
|Flutter|React Native|SwiftUI|Jetpack Compose|Electron|Tauri|Unity|Godot|Nginx|Envoy|Istio|Prometheus
|Grafana|OpenTelemetry|Datadog|Vault|Keycloak|Auth0|Stripe|Twilio|Firebase|Supabase|Prisma|SQLAlchemy
|Hibernate|Entity Framework|TypeORM|Sequelize|jQuery|Webpack|Vite|esbuild|Babel|Vitest|pytest|JUnit
|Cypress|Playwright|Selenium|GitHub Actions|GitLab CI|Jenkins|Bazel|Gradle|Maven|Cargo|pnpm|Poetry|tRPC
|Deno|Bun|Node.js|WordPress|Shopify|Magento|Temporal|Hasura|Strapi|Ktor|Quarkus|Micronaut|Symfony""")

LANG = _split("Python|Go|TypeScript|JavaScript|Rust|Java|Kotlin|C#|Ruby|PHP|Swift|C++|C|Scala|Elixir|Dart|Haskell|Lua|R|Bash")

FUNC = _split("""parse_settings()|normalize_phone()|calc_shipping()|retry_request()|getAccount()|formatPrice()
|onSubmit()|loadInvoices()|applyCoupon()|validate_body()|render_page()|process_chunk()|sync_accounts()
|rebuild_index()|resolve_versions()|sign_token()|run_migrations()|move_funds()|deepClone()|groupBy()
|flattenTree()|toTitleCase()|load_seed()|email_receipt()|match_payments()|verify_password()|canEdit()
|useSession()|usePagination()|to_json()|from_json()|unique_by()|rank_results()|build_summary()
|write_parquet()|read_args()|Resizer.fit()|AccountRepo.persist()|Basket.total()|ProfileController.patch()
|Gateway.capture()|Ticker.step()|Store.read()|Inbox.take()|Scanner.advance()|Tree.insert()|Heap.push()""")

PATH = _split("""internal/cache/store.go|app/models/account.rb|lib/tokenize.ts|src/utils/money.js
|internal/payments/capture.go|services/shipping/handler.py|api/serializers.py|src/components/Banner.tsx
|pkg/worker/pool.go|core/src/engine.rs|app/Http/Controllers/InvoiceController.php
|src/main/java/com/example/LedgerService.java|Sources/App/Storage.swift|backend/jobs.py
|web/src/state/slice.ts|scripts/release.sh|infra/network.tf|deploy/values-prod.yaml|.gitlab-ci.yml
|compose.yaml|src/hooks/useSession.ts|lib/ledger.ex|db/reports.sql|tests/test_cart.py|app/config.py
|cmd/api/main.go|src/main.rs|server.js|pyproject.toml|build.gradle.kts""")

ERROR = _split("""TypeError: undefined is not a function|KeyError: 'order_ref'
|AttributeError: 'NoneType' object has no attribute 'items'|NullPointerException in AccountService.load
|java.lang.IllegalStateException: Connection pool shut down|panic: runtime error: invalid memory address or nil pointer dereference
|panic: send on closed channel|segmentation fault|dial tcp 10.0.0.5:6379: connect: connection refused
|ETIMEDOUT|EADDRINUSE: address already in use :::3000|HTTP 500|HTTP 502 from the upstream|401 Unauthorized
|Access-Control-Allow-Origin missing|RecursionError: maximum recursion depth exceeded in comparison
|IndexError: pop from empty list|ValueError: could not convert string to float: ''
|IntegrityError: duplicate key value violates unique constraint|OperationalError: database is locked
|ModuleNotFoundError: No module named 'settings'|ImportError: attempted relative import with no known parent package
|SyntaxError: Unexpected end of JSON input|ReferenceError: document is not defined|Text content does not match server-rendered HTML
|OOMKilled|CrashLoopBackOff|fatal error: all goroutines are asleep - deadlock!|java.lang.OutOfMemoryError: Metaspace
|StackOverflowError|ConcurrentModificationException|System.InvalidCastException|ArgumentOutOfRangeException
|error[E0382]: borrow of moved value|error TS2345: Argument of type 'null' is not assignable
|NoMethodError: undefined method `each' for nil|certificate verify failed: unable to get local issuer certificate
|UnicodeEncodeError: 'ascii' codec can't encode character|json.decoder.JSONDecodeError: Extra data
|SIGABRT|Uncaught (in promise) TypeError: Failed to fetch|EPERM: operation not permitted""")

SYMPTOM = _split("""crashes on launch|returns 500 for guests|freezes after a while|renders an empty screen on Firefox
|charges the card twice on retry|drops events when the broker restarts|signs people out at random
|sends the same notification twice|rounds totals wrong for some currencies|returns the same page twice
|times out on big uploads|keeps eating memory until the container is killed|locks up under load
|only fails on macOS|broke after yesterday's release|shows old data after an edit|throws when the input is empty
|skips the header row|blocks the UI thread while saving|fails without any error|mangles non-ASCII file names
|retries forever when the token expires|never releases the file handle|shows the wrong language
|re-renders on every keystroke|fails in CI but passes on my laptop|stopped working after the upgrade
|returns 404 for ids that exist|counts archived records|loses writes during failover|hangs on shutdown
|uses 100% CPU when idle|leaks file descriptors|reports negative durations|duplicates rows on import""")

DATA = _split("""orders_2023.csv|the helpdesk ticket dump|this week's load balancer logs|the error tracker export
|the experiment results|the customer survey answers|the free-text feedback from the app|the JMeter run
|the CPU profile from staging|the latency histograms of the gateway|the cancellation data|the payments table
|the crash reports from the Play Console|the database's slowest statements|the web vitals numbers
|the onboarding events|the store reviews|the CloudTrail logs|the on-call pages from last month|our open issues
|the cloud invoice|the benchmark numbers from the three runs|the interview transcripts|the trial conversion data
|the feature usage events|the chat transcripts with support|the SLO reports|the pipeline duration stats
|the consumer lag graphs|the heap snapshot|the traffic per country|the cohort retention table|the access logs
|the git history of the repo|the dependency audit output|the query plans|the A/B test dashboard""")

CONCEPT = _split("""rendezvous hashing|the PACELC theorem|the OpenID Connect implicit flow|session cookies vs tokens
|Paxos|Python's garbage collector|Rust's ownership rules|React's fiber architecture|event sourcing|CRDTs
|Lamport clocks|the outbox pattern|B+ trees|LSM compaction|Go's scheduler|coroutines|JavaScript closures
|inversion of control|monads|lifetimes in Rust|snapshot isolation|MVCC|TCP congestion control|DNS caching
|same-origin policy|SameSite cookies|certificate pinning|open addressing in hash tables|amortized complexity
|memoization|backpressure in streams|exactly-once delivery|eventual consistency|the actor model|WebAssembly
|Kubernetes controllers|the browser rendering pipeline|virtual DOM diffing|Go interfaces|Python descriptors
|metaclasses|Java's memory model|C++ RAII|common table expressions|covering indexes|read-write locks
|copy-on-write|optimistic concurrency control|the saga pattern|CQRS|blue-green deployments|feature toggles
|service discovery|bloom filters|gossip protocols|merkle trees|online schema changes|backpropagation
|self-attention|vector embeddings|cgroups|io_uring|virtual memory paging|SIMD|branch prediction|HTTP/3
|tail call optimization|type erasure|variance in generics|the Liskov substitution principle|green threads""")

SYSTEM = _split("""a link-in-bio service|a group video chat product|a push and email notification platform
|a multi-tenant BI backend|a food courier dispatch system|a podcast transcoding pipeline|an order fulfilment system
|a global API quota service|a trading order book|a code search engine|a feature store for ML
|a wallet and payouts platform|a metrics and traces backend|a smart-meter telemetry platform|an image resizing CDN
|a shared whiteboard app|a durable workflow engine|an analytics event pipeline|a batch compute scheduler
|a hotel reservation platform|a support ticketing system|a personalised feed|a card fraud pipeline
|a field-service app that works offline|a data lake for the finance team|an active-active API across two clouds
|an extension marketplace|a compliance archive|a webhook fan-out service|a file sharing service
|a live sports score service|a job queue service|an edge API gateway|a remote build cache|a secrets broker
|a model inference platform|a second-hand marketplace|an e-learning video platform|a ride pooling service""")

DOMAIN = _split("""a coworking desk booking app|a knowledge base|a bike rental app|a veterinary clinic system
|a fleet maintenance tool|a cooking class marketplace|an exam platform|a helpdesk|a usage-based billing system
|a grocery delivery app|a double-entry ledger|a concert ticketing site|a small-business CRM|a freelancer job board
|a photo album app|a warehouse stock system|a community forum|an audiobook app|a polling tool|a kanban board
|a fitness studio app|a property rental site|a school grading system|a charity donations platform""")

DOMAIN_ENTITY = _split("""members and organisations|carts, payments and refunds|threads, replies and votes
|quotes and line items|reservations and resources|products, SKUs and stock levels|courses and enrolments
|cases and SLAs|workspaces, roles and grants|pages and versions|shows, venues and seats|wallets and transfers""")

MIGRATION = _split("""from Nomad to Kubernetes|from Postgres 11 to 16|from Ruby 2.7 to Ruby 3.3|from Backbone to Vue
|off the monolith into services|from Travis CI to GitHub Actions|from SOAP to REST|from our data centre to GCP
|from Gulp to Vite|from Couchbase to Postgres|from Gatsby to Astro|from Java 11 to Java 21
|from Solr to Elasticsearch|from cron scripts to Dagster|from Bitbucket Pipelines to GitLab CI
|from VMs to containers|from MobX to Redux Toolkit|from Joi to Zod|from RabbitMQ to Kafka|from PHP 7 to PHP 8""")

METRIC = _split("""p99 latency|memory footprint|startup time|bundle size|build time|query time|CPU usage
|cold start time|time to first byte|page load time|throughput|GC pause time|image size|test runtime|battery use""")

TEAM = _split("platform team|backend team|mobile team|data team|frontend team|infra team|payments team|search team|SRE team|growth team")

INDUSTRY = _split("retail|logistics|insurance|gaming|travel|healthcare|fintech|automotive|telecom|media")

RESEARCH_TOPIC = _split("""feature flag tooling|secret rotation|multi-tenant rate limiting|vector databases
|WebGPU support in browsers|passwordless login|data contracts|column-level encryption|edge functions
|OpenTelemetry sampling strategies|monorepo tooling|SBOM generation|privacy-preserving analytics
|LLM evaluation methods|CRDT-based editors|learned indexes|zero-trust networking|mobile crash reporting
|accessibility testing tools|static analysis for Python|WASM runtimes on the server|time-series databases
|schema registries|chaos engineering tools|supply-chain security for npm|on-call tooling""")
