package store

// queries holds every statement, already bound to the dialect's placeholder
// form, so no string work happens per call.
type queries struct {
	createMigrations  string
	appliedMigrations string
	recordMigration   string

	insertKey      string
	keyByHash      string
	keysByRef      string
	listKeys       string
	setKeyEnabled  string
	revokeKey      string
	bumpKeyChanges string
	changeVersion  string

	putCredential string
	credential    string

	auditByID    string
	usageSummary string
	usageDaily   string
	usageBy      map[string]string // by dimension
}

const keyColumns = `id, name, hash, hash_version, prefix, enabled, status, expires_at,
	allowed_models, rpm, labels, created_at, updated_at`

func buildQueries(d *dialect) queries {
	summary, daily, by := usageQueries(d)
	return queries{
		auditByID:    d.bind(`SELECT ` + auditColumns + ` FROM audit_records WHERE id = ?`),
		usageSummary: summary,
		usageDaily:   daily,
		usageBy:      by,

		createMigrations: `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER NOT NULL PRIMARY KEY,
			name       TEXT    NOT NULL,
			applied_at ` + d.timestampType + ` NOT NULL)`,
		appliedMigrations: `SELECT version FROM schema_migrations`,
		recordMigration:   d.bind(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`),

		insertKey: d.bind(`INSERT INTO virtual_keys (` + keyColumns + `)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		keyByHash: d.bind(`SELECT ` + keyColumns + ` FROM virtual_keys WHERE hash = ?`),
		// One round trip for all three ways of naming a key; resolveRef
		// applies the precedence id > name > prefix.
		keysByRef:     d.bind(`SELECT ` + keyColumns + ` FROM virtual_keys WHERE id = ? OR name = ? OR prefix = ?`),
		listKeys:      `SELECT ` + keyColumns + ` FROM virtual_keys ORDER BY created_at, id`,
		setKeyEnabled: d.bind(`UPDATE virtual_keys SET enabled = ?, updated_at = ? WHERE id = ?`),
		revokeKey:     d.bind(`UPDATE virtual_keys SET status = ?, enabled = ?, updated_at = ? WHERE id = ?`),

		bumpKeyChanges: `UPDATE key_changes SET version = version + 1 WHERE id = 1`,
		changeVersion:  `SELECT version FROM key_changes WHERE id = 1`,

		putCredential: d.bind(`INSERT INTO provider_credentials (provider, key_id, nonce, ciphertext, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?)`) + d.upsert("provider", "key_id", "nonce", "ciphertext", "updated_at"),
		credential: d.bind(`SELECT key_id, nonce, ciphertext FROM provider_credentials WHERE provider = ?`),
	}
}
