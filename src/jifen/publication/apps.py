from django.apps import AppConfig


class PublicationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "jifen.publication"
    label = "publication"
    verbose_name = "公示、异议与落户"

    def ready(self) -> None:
        # The public page's cached state (page_cache) goes with any change of the round or
        # its publication (a re-publication, new windows).
        from django.db import transaction
        from django.db.models.signals import post_delete, post_save

        from jifen.rounds.models import Round

        from . import page_cache
        from .models import Publication

        def drop(year: int) -> None:
            # Now, and again at commit: a page read between the two would have cached the
            # state as it was before the transaction.
            page_cache.drop_state(year)
            transaction.on_commit(lambda: page_cache.drop_state(year))

        def drop_round(sender: type, instance: Round, **kwargs: object) -> None:
            drop(instance.year)

        def drop_publication(sender: type, instance: Publication, **kwargs: object) -> None:
            for year in Round.objects.filter(pk=instance.round_id).values_list("year", flat=True):
                drop(year)

        for signal in (post_save, post_delete):
            signal.connect(drop_round, sender=Round, weak=False,
                           dispatch_uid=f"publication-state-round-{signal}")
            signal.connect(drop_publication, sender=Publication, weak=False,
                           dispatch_uid=f"publication-state-pub-{signal}")
