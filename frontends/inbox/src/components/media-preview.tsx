import { Match, Show, Switch, createResource, onCleanup } from 'solid-js';
import { useI18n } from '../i18n/i18n.ts';
import type { ApiClient } from '../lib/api.ts';
import type { MessageMedia } from '../lib/wire.ts';

/**
 * A customer's photo, sticker, voice note, video or document, fetched from `GET /v1/media/{ref}` with the bearer
 * token and shown from a blob: URL (revoked when the bubble goes away). Documents are fetched only when asked for.
 */
export function MediaPreview(props: {
  readonly api: ApiClient;
  readonly type: string;
  readonly media: MessageMedia;
  readonly caption: string | null;
}) {
  const i18n = useI18n();
  const isInline = () => ['image', 'sticker', 'audio', 'video'].includes(props.type);
  const [url] = createResource(
    () => (isInline() && props.media.state === 'stored' ? props.media.ref : null),
    async (ref) => URL.createObjectURL(await props.api.media(ref)),
  );
  onCleanup(() => {
    const current = url.state === 'ready' ? url() : undefined;
    if (current) URL.revokeObjectURL(current);
  });

  async function download() {
    const ref = props.media.ref;
    if (ref === null) return;
    const href = URL.createObjectURL(await props.api.media(ref));
    const a = document.createElement('a');
    a.href = href;
    a.download = props.media.fileName ?? 'document';
    a.click();
    setTimeout(() => URL.revokeObjectURL(href), 10_000);
  }

  return (
    <div class="media">
      <Switch>
        <Match when={props.media.state === 'failed' || url.state === 'errored'}>
          <p class="media-failed">{i18n.t('message.mediaFailed')}</p>
        </Match>
        <Match when={props.media.state === 'fetching'}>
          <p class="media-loading">{i18n.t('message.mediaLoading')}</p>
        </Match>
        <Match when={!isInline()}>
          <button type="button" class="link" onClick={() => void download()}>
            {i18n.t('message.download', { name: props.media.fileName ?? i18n.t('preview.document') })}
          </button>
        </Match>
        <Match when={url.loading}>
          <p class="media-loading">{i18n.t('message.mediaLoading')}</p>
        </Match>
        <Match when={url()}>
          {(src) => (
            <Switch>
              <Match when={props.type === 'audio'}>
                <audio controls src={src()} />
              </Match>
              <Match when={props.type === 'video'}>
                <video controls src={src()} />
              </Match>
              <Match when={true}>
                <img
                  src={src()}
                  alt={i18n.t(props.type === 'sticker' ? 'preview.sticker' : 'preview.image')}
                  loading="lazy"
                />
              </Match>
            </Switch>
          )}
        </Match>
      </Switch>
      <Show when={props.caption}>{(caption) => <p class="caption">{caption()}</p>}</Show>
    </div>
  );
}
