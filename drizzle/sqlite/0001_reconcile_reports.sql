CREATE TABLE `reconcile_reports` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` integer NOT NULL,
	`scope` text NOT NULL,
	`leaked_snapshot_ids` text NOT NULL
);
