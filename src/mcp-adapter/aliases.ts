import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { type AdapterContext, type ToolDef, registerTool } from './tool.ts'

/**
 * Optional alias profiles, off by default: the names of the reference MCP filesystem server and
 * of the seed's mbfs_* tools, each the canonical tool under another name (same arguments, same
 * result), so a client or prompt written for those finds them.
 */
export const ALIAS_PROFILES = {
  reference: {
    read_text_file: 'vfs_read',
    read_file: 'vfs_read',
    read_media_file: 'vfs_read',
    read_multiple_files: 'vfs_read_many',
    write_file: 'vfs_write',
    edit_file: 'vfs_edit',
    create_directory: 'vfs_mkdir',
    list_directory: 'vfs_ls',
    list_directory_with_sizes: 'vfs_ls',
    directory_tree: 'vfs_tree',
    move_file: 'vfs_move',
    search_files: 'vfs_search',
    get_file_info: 'vfs_stat',
    list_allowed_directories: 'vfs_list_mounts',
  },
  mbfs: {
    mbfs_list_backends: 'vfs_list_mounts',
    mbfs_get_backend: 'vfs_list_mounts',
    mbfs_register_backend: 'vfs_mount',
    mbfs_store: 'vfs_write',
    mbfs_retrieve: 'vfs_read',
    mbfs_delete: 'vfs_rm',
  },
} as const satisfies Record<string, Record<string, string>>

export type AliasProfile = keyof typeof ALIAS_PROFILES

export function registerAliases(server: McpServer, tools: ToolDef[], ctx: AdapterContext, profiles: readonly AliasProfile[]): void {
  for (const profile of profiles) {
    for (const [alias, canonical] of Object.entries(ALIAS_PROFILES[profile])) {
      const def = tools.find((t) => t.name === canonical)
      if (!def) throw new Error(`alias ${alias}: no tool ${canonical}`)
      registerTool(server, def, ctx, { name: alias, description: `Alias of ${canonical} (${profile} profile). ${def.description}` })
    }
  }
}
