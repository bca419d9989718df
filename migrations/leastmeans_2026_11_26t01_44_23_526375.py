from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-26T01:44:23:526375"
VERSION = "1.38.0"
DESCRIPTION = "drop analysis_run: unpublished results were written but never read; publications are the stored results (analysis_run held only derived data, recomputable from the answers)"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="leastmeans", description=DESCRIPTION
    )

    manager.drop_table(
        class_name="AnalysisRun", tablename="analysis_run", schema=None
    )

    return manager
