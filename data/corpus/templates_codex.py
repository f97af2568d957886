"""English templates for codex's task types: it writes, changes, fixes, reviews, tests and speeds up code.

Per type: ``titles`` (terse, issue/PR-title style), ``asks`` (requests as people type them) and
``bodies`` (follow-up sentences for issue bodies and long requests). Slots are filled from vocab.py
and compose.py.
"""


def _lines(block: str) -> list[str]:
    return [line.strip() for line in block.strip().splitlines() if line.strip()]


CODEX = {
    "code_generation": {
        "titles": _lines("""
            Add {feature} to the {component}
            [Feature] {feature}
            feat({scope}): {feature}
            Feature request: {feature}
            Support {tech} in the {component}
            New endpoint to {endpoint_purpose}
            Allow admins to {user_want}
            {component}: add {feature}
            Implement {feature}
            Build the {component} for the {tech} app
            Create a {lang} client for the partner API
            Add a --verbose flag to the {component}
            Add pagination to the {component}
            Add Slack notifications when {event}
            Implement sign-in with Apple
            Add an analysis tab to the {component}
            Add a research library page where users save links
            Add a script to {script_purpose}
            Create a Helm chart for the {component}
            Add a GitHub workflow that {workflow_purpose}
            Add design tokens for the {component} and use them in its styles
            Apply the new design spec to the {component}
            Implement {func} in {lang}
            Add undo/redo to the editor
            Add two-factor authentication
            Provide a bulk import for {entity_plural}
            Add an archive action for {entity_plural}
            Scaffold the {component} service
            Add a planning view to the kanban board
        """),
        "asks": _lines("""
            implement {feature} in the {component}
            write a {lang} function that {func_purpose}
            can you add {feature} to the {component}?
            please build {feature} using {tech}
            add {feature}; reuse the approach from the {component2}
            create an endpoint that {endpoint_purpose}
            write the code for {feature} in {lang}
            implement {func} so that it {func_purpose}
            I need a script that {script_purpose}
            make a {tech} component that {ui_purpose}
            write a {lang} class that {func_purpose}
            build a small CLI in {lang} that {script_purpose}
            code up {feature} behind a feature flag
            write a migration that adds a {column} column to {entity_plural} and backfills it
            add a scheduled job that {script_purpose}
            write Terraform for {infra}
            generate a {tech} service skeleton for the {component}
            turn the mockups for the {component} into {tech} components
            add a "saved research" section to the {component} where users can bookmark articles
            write an Ansible role that {script_purpose}
            add a {lang} SDK method for {feature}
            push live updates to the {component} over websockets
            implement the {component} according to the spec in the ticket
            make it possible to {user_want}
            write me a {lang} snippet that {func_purpose}
            we need {feature}, can you write it?
            add an option to {user_want} in the {component}
            hook the {component} up to {tech}
        """),
        "bodies": _lines("""
            It should {func_purpose}.
            Acceptance criteria: only admins see the button, and the result includes every column.
            Customers keep asking for this.
            Return 201 with the created object.
            Include the migration and the UI part.
            Supporting both JSON and YAML would be great.
            Right now you can only do this through the database.
            The {component2} already does something similar, reuse that.
            As an admin I want to {user_want} so I don't have to ask engineering.
            Add a setting for it with a sensible default.
            The list should be paginated and filterable by date.
            Store who did what and when.
            Ship it behind a flag first.
            Write it in {lang}, we don't have {tech} on that box.
        """),
    },
    "code_review": {
        "titles": _lines("""
            Review PR #{pr}
            Code review for the {component} changes
            PR #{pr}: please review
            [Review] {component}
            Security review of the {component}
            Review request: {component} rewrite
            Needs review: {feature}
            CR: {component}
            Audit the repo for leaked credentials
            Check the concurrency in {path}
            Review before merge: {path}
            Look over the migration in PR #{pr}
        """),
        "asks": _lines("""
            do a code review of the {component} and flag anything risky
            please review this and suggest improvements: {snippet}
            check my PR for thread-safety problems in the {component}
            is this safe to merge? {snippet}
            give me review feedback on my implementation of {func}
            review the error handling in {path}
            go over the {component} looking for injection bugs
            is this good {lang}? please review: {snippet}
            go through PR #{pr} and comment on naming, tests and edge cases
            audit the {component} for places where we log personal data
            will the migration in PR #{pr} lock the table? review it
            can someone review my {tech} setup before I push it
            just review this, don't rewrite it: {snippet}
            find the bugs in {func} and list them, don't fix them
            review only: does the {component} handle timeouts correctly?
            review the OAuth callback code for security holes
            rate the code quality of the {component} and explain the score
            second opinion on this approach before I open the PR? {snippet}
            critique my implementation, what would a senior engineer change? {snippet}
        """),
        "bodies": _lines("""
            I mostly care about correctness and concurrency.
            Call out anything that would break in production.
            Inline comments are fine.
            The change touches {path} and its tests.
            This is my first contribution, so be picky.
            I'd like a second opinion before the release.
            Please don't change anything yet, just list the issues.
        """),
    },
    "refactoring": {
        "titles": _lines("""
            Refactor the {component}
            refactor({scope}): extract {component} into a module
            refactor: remove duplicated validation
            Clean up the {component}
            Remove unused code from the {component}
            Break up the {component} god object
            Move the {component} to async/await
            Convert {component} class components to function components
            Rename confusing variables in {func}
            Extract an interface for the {component}
            Share code between the {component} and the {component2}
            Migrate the {component} to the {tech} {version} API
            Upgrade the code {migration}
            Reorganise the {component} folder structure
            Flatten the nested conditionals in the {component}
            Modernise the {component}
            Add type annotations to the {component}
            Decouple the {component} from the ORM
            Drop the callback style in the {component}
            Tidy up {path}
        """),
        "asks": _lines("""
            refactor the {component} to get rid of the duplication
            split {path} into smaller files, it's huge
            replace the callbacks in the {component} with async/await
            pull the validation out of the {component} into its own class
            give the variables in {func} meaningful names and remove the magic numbers
            rewrite this to use dependency injection instead of globals: {snippet}
            move the business logic from the controller into a service layer
            the {component} and the {component2} share a lot of copy-pasted code, unify it
            restructure the {component} so it can be unit tested, same behaviour
            migrate the codebase {migration} without changing what it does
            switch the {component} from {tech} to {tech2}, behaviour must stay the same
            make this more idiomatic {lang}: {snippet}
            {func} repeats the same loop three times, refactor it
            the {component} code is a mess, clean it up
            simplify this without changing the output: {snippet}
            turn these free functions into a class with clear responsibilities
            replace the inheritance in the {component} with composition
            convert the {component} from JavaScript to TypeScript
            delete the dead code in the {component} and merge the duplicate helpers
            rename {func} and update all call sites
            extract the SQL from the views into a repository layer
        """),
        "bodies": _lines("""
            No behaviour change.
            The public API has to stay as it is.
            The same logic is copied in three places right now.
            This should make it easier to test.
            The file is over 1500 lines long.
            The existing tests must still pass.
            Mostly for maintainability.
        """),
    },
    "debugging": {
        "titles": _lines("""
            {component} {symptom}
            Bug: {component} {symptom}
            fix({scope}): {component} {symptom}
            {error} in the {component}
            {error} when {event_action}
            Crash when {event_action}
            Memory leak in the {component}
            CI is red on main
            Broken build after merging #{pr}
            Regression in {version}: {component} {symptom}
            {component} broken since {version}
            Error when {event_action}: {error}
            Off-by-one in the {component}
            Intermittent {error} from the {component}
            Race condition in the {component}
            Sign-in broken on Edge
            {component} works locally but {symptom} in production
            Can't {event_action} anymore
            Unexpected behaviour in the {component}
        """),
        "asks": _lines("""
            fix the {component}, it {symptom}
            the {component} {symptom}, find out why and fix it
            I'm getting {error} in the {component}, please fix
            debug why the {component} {symptom}
            explain why this blows up and fix it: {error}
            tell me what's causing this and patch it: {error} in {func}
            figure out why {func} gives the wrong answer for negative input and fix it
            we get {error} when {event_action}; handle it properly
            this crashes with {error}, help me fix it: {snippet}
            after upgrading {tech} to {version} I get {error}, what broke and how do I fix it
            find the memory leak in the {component}
            why does {func} return null? fix it
            the pipeline fails with {error}, get it green again
            analyze this stack trace and fix the bug: {trace}
            {trace}
            {error}
            the {component} {symptom}, repro steps below, please fix
            users say the {component} {symptom}; find the root cause and fix it
            can you look into this? {error} {event_when}
            the job runs twice after every deploy, fix it
            my {lang} program crashes when {event_action}, what's wrong? {snippet}
            help, {tech} keeps throwing {error}
            the app {symptom} on older Android phones, fix it
            investigate and resolve the intermittent {error} in the {component}
            something is wrong with the {component}, it {symptom}
            why is this broken? {snippet}
        """),
        "bodies": _lines("""
            Steps to reproduce: open the {component}, click save, wait ten seconds.
            Expected: it saves. Actual: {error}.
            This began with the latest release.
            Only production is affected.
            The logs show {error} right before it stops.
            We are on {tech} {version}.
            It happens about once in a hundred requests.
            Stack trace: {trace}
            Customers are hitting this right now.
            Reinstalling didn't help.
        """),
    },
    "testing": {
        "titles": _lines("""
            Add tests for the {component}
            Unit tests for {func}
            Integration tests for the {component}
            E2E tests for the {component} with {test_tool}
            Increase coverage in the {component}
            Flaky test: {component}
            Quarantine and fix flaky tests
            Fuzz tests for {func}
            test({scope}): cover edge cases in {func}
            Regression test for #{pr}
            Snapshot tests for the {component}
            Contract tests for the {component} API
            Fake the {tech} client in tests
            Test fixtures for the {component}
            Missing tests for error paths in {path}
        """),
        "asks": _lines("""
            write unit tests for {func}, cover zero, huge values and bad input
            add integration tests for the {component} against a throwaway database
            add fuzz tests for {func}
            write {test_tool} tests for the {component}
            the {component} has no coverage at all, add tests
            this test fails randomly, make it deterministic: {snippet}
            write a failing test that reproduces the {component} bug before anyone fixes it
            stub out {tech} in the {component} tests
            add end-to-end tests for the checkout with {test_tool}
            generate test cases for this function: {snippet}
            get {path} to 90% coverage
            write table-driven Go tests for {func}
            add a pytest fixture for the {component} and use it in the existing tests
            test the {component} with unicode, empty and very large inputs
            build a test harness so the {component} can be tested offline
            add tests only, leave the implementation alone
            write an API test for the PATCH /{entity_word} endpoint
            some tests in the {component} fail randomly on CI, stabilise them
            add snapshot tests for the {component}
            write tests for this: {snippet}
            mock the clock in the {component} tests so they stop depending on the date
        """),
        "bodies": _lines("""
            Use {test_tool}, the rest of the repo does.
            Cover both the happy path and the failures.
            The tests must not call the real {tech}.
            Don't modify production code.
        """),
    },
    "performance_optimization": {
        "titles": _lines("""
            Optimize the {component}
            Speed up the {component}
            Reduce {metric} of the {component}
            perf({scope}): cache {component} lookups
            Batch the queries in the {component}
            {component} is slow
            Improve {metric}
            Cut the JS bundle size
            Slow first load of the {component}
            High CPU in the {component}
            Memory usage too high in the {component}
            Speed up the release pipeline
            Lazy-load the {component}
            perf: avoid recomputing {metric} on every request
        """),
        "asks": _lines("""
            make the {component} faster, each request takes {n_time}
            optimize {func}, it's too slow on large inputs
            reduce the {metric} of the {component}
            profile the {component} and speed it up
            this {lang} code is slow, make it fast: {snippet}
            halve the {metric} of the {component}
            cache the results in the {component} so we don't hit the database every time
            this query takes seconds, add an index and rewrite it: {sql}
            speed up this loop: {snippet}
            the {component} allocates way too much memory, reduce it
            optimize the hot path in {func}
            the {tech} build takes forever, make it faster
            lazy-load the {component} to speed up the first paint
            insert the rows in batches instead of one by one
            reduce allocations in {func}
            the {component} needs to handle 10x the traffic, make it faster
            scrolling the {component} is janky, fix the rendering performance
            why is this so slow and how do I make it faster? {snippet}
        """),
        "bodies": _lines("""
            The profiler says most time goes into {func}.
            Target: below {n_time}.
            This is our busiest endpoint.
            Memory grows with the input size.
            Most of the time is spent serialising JSON.
        """),
    },
}
