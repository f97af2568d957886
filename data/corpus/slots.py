"""Fillers for the templates' smaller slots (features, purposes, snippets, traces...) and neutral context.

Snippets and traces are shared by every task type: a code block alone must not decide the label.
"""

from vocab import _split

FEATURE = _split("""CSV export|a dark theme|saved filters|bulk editing|a search box|email digests|webhooks
|an activity feed|SSO login|two-factor auth|file attachments|comment threads|tagging|a public share link
|rate limiting|an audit log|usage quotas|a recycle bin|drag-and-drop upload|keyboard shortcuts
|inline editing|a print view|favourites|in-app notifications|a status page|API keys per user
|multi-currency prices|recurring invoices|a referral program|role-based access|custom fields|an import wizard
|offline mode|localized dates|PDF invoices|a changelog widget|a usage report|price alerts|a waitlist""")
FEATURE_SHORT = _split("""offline edits|bulk uploads|team invites|recurring payments|file sharing|live cursors
|scheduled reports|saved searches|custom roles|usage billing|data export|guest checkout|push alerts""")
SCOPE = _split("api|ui|auth|billing|cli|core|db|search|mobile|infra|deps|parser|sdk")
ENDPOINT_PURPOSE = _split("""returns a user's invoices as JSON|lets clients cancel a subscription|uploads an avatar
|lists the latest orders with pagination|exports a report as CSV|creates a share link|revokes an API key
|merges two customer records|returns the current feature flags|accepts inbound webhooks from the bank""")
USER_WANT = _split("""export their data|reset another user's password|merge duplicate accounts|archive old projects
|schedule a report|invite people by email|undo a deletion|download invoices in bulk|change the billing owner
|pin important items|mute notifications for a project|see who changed a record""")
EVENT = _split("""a payment fails|a build breaks|someone mentions me|a subscription renews|an import finishes
|a new user signs up|a threshold is crossed|a deploy completes|a ticket is reassigned""")
SCRIPT_PURPOSE = _split("""renames all images in a folder by date|backs up the database to S3 every night
|deletes branches merged more than a month ago|syncs users from LDAP|converts the XML feed to JSON
|sends a weekly summary email|rotates the logs|downloads yesterday's exchange rates|cleans up expired sessions
|bumps the version and tags the release|imports a spreadsheet into the products table""")
WORKFLOW_PURPOSE = _split("""runs the linters on every PR|publishes the docs site on merge|builds and pushes the image on tag
|runs the nightly integration suite|labels stale issues|caches dependencies between runs""")
FUNC_PURPOSE = _split("""parses ISO 8601 durations|checks whether a string is a valid IBAN|merges overlapping intervals
|splits a list into batches of n|retries a call with exponential backoff|converts camelCase to snake_case
|computes the median of a stream|finds duplicate files by hash|validates a JSON payload against a schema
|formats a number as currency|generates a secure random password|debounces a callback
|returns the top k frequent words|flattens a nested dict|rate-limits calls per user|diffs two lists of records""")
UI_PURPOSE = _split("""shows a sortable table of invoices|renders a multi-step form|displays a toast on errors
|lets users crop an image before upload|shows a live countdown|renders a collapsible sidebar""")
COLUMN = _split("last_seen_at|archived|timezone|external_id|locale|deleted_at|plan_tier|score")
INFRA = _split("""a private GKE cluster|a VPC with public and private subnets|a Cloud SQL instance with backups
|an SQS queue with a dead-letter queue|a static site on a bucket behind a CDN|an autoscaling worker group""")
ENTITY_WORD = _split("orders|invoices|users|projects|tickets|products|comments|devices|payments|teams")
TEST_TOOL = _split("pytest|Jest|Vitest|JUnit|Playwright|Cypress|RSpec|xUnit|Go's testing package|Testcontainers")
N_TIME = _split("4 seconds|12 minutes|900 ms|2 minutes|30 seconds|1.5 s|20 minutes|300ms")
N_BIG = _split("10k|50k|200k|1M|5M|20M|100M|2 billion")
N_SMALL = _split("2|3|4|5|6|7|9|12|15")
PR = _split("12|57|103|214|388|1021|1433|2207|4096")
YEAR = _split("2023|2024|2025")
HALF = _split("H1|H2|Q1|Q2|Q3|Q4|next quarter|the next two quarters|next year")
CLOUD = _split("AWS|GCP|Azure|Hetzner|bare metal|a single VPS")
REGION = _split("Canada|Japan|Brazil|India|Australia|the UK|South Africa")
DOC_FILE = _split("setup.md|releasing.md|config.md|architecture.md|operations.md|getting-started.md|faq.md")
STRATEGY_TOPIC = _split("""observability across all teams|moving to a platform team model|our API deprecations
|multi-cloud|test automation|data retention and deletion|handling on-call for a growing team|open-sourcing the SDK""")
ROADMAP_ITEMS = _split("""SSO, audit logs and a desktop app|API v3, billing rewrite and EU hosting
|dark mode, offline support and faster search|ISO 27001, self-hosting and a plugin marketplace
|performance work, a new onboarding flow and usage-based pricing""")
NOTES = _split("""'deploy: run make release, then check grafana, rollback = redeploy previous tag'
|'env vars: DB_URL, REDIS_URL, SENTRY_DSN (optional)'|'cron runs at 2am UTC, retries 3x, alerts #ops'""")
REGEX = _split(r"""`^(?=.*\d)(?=.*[a-z]).{8,}$`|`(\w+)@(\w+)\.com`|`^\s*#.*$`|`\b(\d{1,3}\.){3}\d{1,3}\b`""")

SQL = _split("""`SELECT * FROM orders o JOIN users u ON u.id = o.user_id WHERE u.email LIKE '%@acme.com'`
|`SELECT account_id, RANK() OVER (PARTITION BY region ORDER BY total DESC) FROM sales`
|`UPDATE items SET price = price * 1.1 WHERE category IN (SELECT id FROM categories WHERE active)`
|`SELECT COUNT(DISTINCT session_id) FROM events WHERE ts > now() - interval '7 days' GROUP BY day`""")

SNIPPET = [
    "```python\ndef total(items):\n    s = 0\n    for i in range(len(items)):\n        s += items[i]['price'] * items[i]['qty']\n    return s\n```",
    "```js\nfor (var i = 0; i < 3; i++) {\n  setTimeout(() => console.log(i), 0);\n}\n```",
    "```go\nfunc (c *Cache) Get(k string) (string, bool) {\n    c.mu.RLock()\n    v, ok := c.m[k]\n    c.mu.Unlock()\n    return v, ok\n}\n```",
    "```ts\nexport function groupBy<T>(xs: T[], key: (x: T) => string) {\n  return xs.reduce((acc, x) => { (acc[key(x)] ||= []).push(x); return acc }, {} as Record<string, T[]>)\n}\n```",
    "```java\npublic User find(String id) {\n    return users.stream().filter(u -> u.getId() == id).findFirst().get();\n}\n```",
    "```rust\nfn longest(a: &str, b: &str) -> &str {\n    if a.len() > b.len() { a } else { b }\n}\n```",
    "```python\nresult = []\nfor row in rows:\n    if row not in result:\n        result.append(row)\n```",
    "```sql\nSELECT * FROM payments WHERE status = 'pending' AND created_at < NOW() - INTERVAL 1 DAY;\n```",
    "```ruby\ndef admin?\n  role == 'admin' || email.end_with?('@ourcompany.com')\nend\n```",
    "```php\n$q = \"SELECT * FROM users WHERE name = '\" . $_GET['name'] . \"'\";\n```",
    "```yaml\nretries: 3\nbackoff: exponential\ntimeout_ms: 2500\npool_size: 20\n```",
    "```python\n@lru_cache\ndef rate(currency, day):\n    return requests.get(URL, params={'c': currency, 'd': day}).json()['rate']\n```",
    "`const data = await fetch(url).then(r => r.json())`",
    "`items.sort(key=lambda x: x.created)`",
    "`if (user = null) { return; }`",
    "```csharp\nvar total = orders.Where(o => o.Paid).Select(o => o.Amount).Sum();\n```",
    "```kotlin\nval users = repo.findAll().filter { it.active }.map { it.email }\n```",
    "```bash\nfor f in $(ls *.log); do gzip $f; done\n```",
]

TRACE = [
    "```\nTraceback (most recent call last):\n  File \"app/jobs.py\", line 88, in run\n    total = sum(r.amount for r in rows)\nTypeError: unsupported operand type(s) for +: 'int' and 'NoneType'\n```",
    "```\nException in thread \"main\" java.lang.NullPointerException\n    at com.example.billing.InvoiceService.render(InvoiceService.java:142)\n    at com.example.billing.Main.main(Main.java:21)\n```",
    "```\npanic: runtime error: slice bounds out of range [:5] with capacity 4\n\ngoroutine 17 [running]:\nmain.parseHeader(...)\n        /src/parse.go:40\n```",
    "```\nUncaught TypeError: Cannot read properties of null (reading 'map')\n    at ProductList (ProductList.jsx:23:19)\n    at renderWithHooks (react-dom.development.js:16305)\n```",
    "```\nthread 'main' panicked at 'called `Option::unwrap()` on a `None` value', src/config.rs:31:10\n```",
    "```\nFATAL:  remaining connection slots are reserved for non-replication superuser connections\n```",
]

CONTEXT = [
    "We're a small team running {tech} on {cloud}.",
    "Our backend is {lang} with {tech}.",
    "This is for the {component} in our {domain} product.",
    "Some context: we moved to {tech} last year.",
    "The repo is a monorepo with around 40 packages.",
    "We have about {n_big} users, mostly in Europe.",
    "I'm fairly new to the codebase.",
    "The {component} was written years ago by someone who left.",
    "We deploy {n_small} times a day through {ci}.",
    "Everything runs in containers on {cloud}.",
    "The frontend is {tech} and talks to a {lang} API.",
    "This came up in yesterday's standup.",
    "Our stack: {tech}, {tech2} and a bit of {lang}.",
    "I'm working on {domain} as a side project.",
    "Customer data lives in {tech}.",
]
CI = _split("GitHub Actions|GitLab CI|Jenkins|CircleCI|Buildkite|Argo CD")

NEGATION = {
    "explanation": ["Not looking for a solution, only an explanation.", "No code changes please.", "Don't rewrite anything, I just want to get it.", "Not asking you to solve it, just explain."],
    "documentation": ["No proposals, just describe it.", "No redesign, just documentation.", "No code.", "Don't change the architecture, only document it."],
    "analysis": ["No code, just findings.", "Don't fix anything yet.", "I don't need a plan, just what the data says."],
    "research": ["No implementation yet.", "Don't design anything, just find what exists.", "No code, sources only."],
    "code_review": ["Don't fix it, just point out the problems.", "Please don't rewrite it.", "No refactoring, review only."],
    "testing": ["Don't change the implementation.", "Don't refactor anything, only add tests.", "Leave the production code alone."],
    "refactoring": ["Don't add features.", "No behaviour change.", "Don't fix unrelated bugs in the same change."],
    "debugging": ["No need for a long explanation, just fix it.", "Don't refactor the whole thing, just fix the bug.", "I don't need docs, I need it working."],
    "code_generation": ["No need for docs yet.", "Don't redesign the API, just add it.", "No need to plan it, just write it."],
    "performance_optimization": ["Don't change the output.", "Don't rewrite it in another language.", "No new features, just make it faster."],
    "architecture": ["No code yet, just the architecture.", "Don't write code.", "Not asking for an implementation."],
    "design": ["No implementation yet, just the design.", "Don't write the code yet.", "No need to plan the rollout."],
    "planning": ["Don't write code, just the plan.", "No implementation details.", "I don't need the architecture, just the sequencing."],
    "multi_step": ["Do all of it, not just a plan.", "Carry out every step, not only the first.", "Please actually do the steps."],
}

POLITE = ["can you ", "could you ", "please ", "pls ", "hey, ", "I need you to ", "help me ", "I'd like you to ",
          "quick one: ", "task: ", "todo: ", "yo ", "hi! ", "ok so ", "we need to ", "let's ", "would you ",
          "", "", "", "", "", "", ""]
SIGNOFF = [" thanks", " thx", " asap", " :)", " when you get a chance", " - urgent", " (low priority)", " ty",
           " cheers", " please", "", "", "", "", "", "", ""]
TAGS = {
    "code_generation": ["[Feature]", "feat:", "Feature:", "[Enhancement]", "enhancement:", "[Story]"],
    "code_review": ["[Review]", "Review:", "[PR]", "[Audit]"],
    "refactoring": ["refactor:", "[Refactor]", "chore:", "[Tech debt]", "cleanup:"],
    "debugging": ["[Bug]", "fix:", "Bug:", "bug:", "[Crash]", "hotfix:", "[Regression]"],
    "testing": ["test:", "[Tests]", "tests:", "[QA]"],
    "performance_optimization": ["perf:", "[Performance]", "Performance:", "[Perf]"],
    "analysis": ["[Analysis]", "Analysis:", "[Data]", "[Investigation]"],
    "research": ["[Research]", "Research:", "[Spike]", "Spike:"],
    "documentation": ["docs:", "[Docs]", "Docs:", "(maint)", "[Documentation]"],
    "explanation": ["[Question]", "Question:", "Q:", "[Help]"],
    "architecture": ["[RFC]", "RFC:", "[Architecture]", "[Proposal]", "[Spike]", "[Infra]"],
    "design": ["[Design]", "Design:", "[RFC]", "[API]", "[Backend]", "[Spike]"],
    "planning": ["[Epic]", "Epic:", "[Roadmap]", "[Planning]", "Proposal:", "[Research]"],
    "multi_step": ["[Epic]", "[Tracking]", "Tracking:", "[Rollout]"],
}
NEUTRAL_TAGS = ["", "", "", "", "[Backend]", "[Frontend]", "[Mobile]", "[Infra]", "[API]", "(maint)", "[WIP]", "[Help wanted]", "[P1]", "[core]"]
