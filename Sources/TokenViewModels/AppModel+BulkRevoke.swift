import TokenStore

extension AppModel {
    /// `A`: marks every token matching the tab and search, or, when they already are, unmarks them.
    func markAll() {
        if state.table.markedAll != nil {
            state.table.markedAll = nil
            return notify("Unmarked all")
        }
        let filter = tableFilter
        perform {
            let count = try store.exactCount(matching: filter, by: state.actor)
            state.table.marked = []
            state.table.markedAll = MarkedAll(filter: filter, count: count)
            notify("Marked all \(count) matching tokens: x revokes them, Space unmarks one, A unmarks all")
        }
    }

    func confirmRevokeAll(_ marks: MarkedAll) {
        perform {
            var marks = marks
            // Counted again: other people may have added or revoked tokens since the marks were made. What is made
            // after this dialog opens is left out, since the person never saw it counted.
            marks.upToID = try store.lastTokenID()
            marks.count = try store.exactCount(matching: marks.filter, by: state.actor)
            state.table.markedAll = marks
            guard marks.count > marks.except.count else { return notify("No marked token is left", error: true) }
            let first = try store.tokens(matching: marks.filter, order: state.table.order, limit: 5 + marks.except.count,
                                         by: state.actor).filter { !marks.except.contains($0.id) }.prefix(5)
            state.modal = .confirm(Confirmation(intent: .revokeAll(marks, first: Array(first))))
        }
    }

    /// While a bulk revoke runs, only its next step, Esc (stop), quit and resizes are taken.
    func sendDuringBulkRevoke(_ action: Action) {
        guard var job = state.bulkRevoke else { return }
        switch action {
        case .bulkRevokeStep:
            do {
                let batch = try store.revokeBatch(matching: job.marks.filter, after: job.cursor, upTo: job.marks.upToID,
                                                  except: job.marks.except,
                                                  limit: bulkBatchSize, reason: "bulk from the UI", by: state.actor)
                job.done += batch.revoked.count
                job.cursor = batch.resumeAfter
                state.bulkRevoke = job
                notify(job.progress)
                if batch.isLast { finishBulkRevoke("Revoked \(job.done) tokens") }
            } catch {
                // A refusal or error stops the job where it is; what earlier batches did stays done.
                if case .refused = error { refreshActor() }
                finishBulkRevoke("Stopped after revoking \(job.done) of \(job.total) tokens: \(error.description)", error: true)
            }
        case .escape: finishBulkRevoke("Stopped: revoked \(job.done) of \(job.total) tokens; the rest stay live")
        case .quit: state.quit = true
        case .resize(let width, let height):
            state.width = width
            state.height = height
            state.table.pageSize = state.pageSize
        default: notify(job.progress)
        }
    }

    private func finishBulkRevoke(_ note: String, error: Bool = false) {
        state.bulkRevoke = nil
        state.table.markedAll = nil
        reloadInPlace()
        notify(note, error: error)
    }
}
